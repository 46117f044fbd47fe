// Linux calls that Swift's Glibc module does not export: epoll and eventfd (the HTTP server's event
// loop) and naming the calling thread (prctl is variadic, so it gets a typed wrapper). All of it is libc;
// nothing to link.
#ifndef SHOP_CLINUX_SHIM_H
#define SHOP_CLINUX_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

static inline int clinux_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
#endif
