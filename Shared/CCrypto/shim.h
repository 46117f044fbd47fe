// libcrypto (OpenSSL 3) for HMAC-SHA256 and constant-time comparison. No hand-rolled cryptography.
#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

/// EVP_sha256 returns a const pointer that Swift imports awkwardly through HMAC's signature; keep it typed.
static inline const EVP_MD *ccrypto_sha256(void) { return EVP_sha256(); }
#endif
