// Linux calls that Swift's Glibc module does not export: epoll and eventfd (the HTTP server's event
// loop), naming the calling thread (prctl is variadic, so it gets a typed wrapper), malloc tuning and
// getrandom.
// All of it is libc; nothing to link.
#ifndef SHOP_CLINUX_SHIM_H
#define SHOP_CLINUX_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <malloc.h>
#include <sys/random.h>

static inline int clinux_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

// Keeps freed memory in the process instead of returning it to the kernel after every burst: glibc's
// default trims each thread arena as soon as 128 KiB are free, an madvise plus a TLB shootdown on every
// core each time. Large blocks (frames up to a few MiB) stay on the heap too.
static inline void clinux_keep_freed_memory(void) {
    mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
}
#endif
