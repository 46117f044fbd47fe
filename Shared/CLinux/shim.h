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
#include <sys/socket.h>

static inline int clinux_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

// Keeps freed memory in the process instead of returning it to the kernel after every burst: glibc's
// default trims each thread arena as soon as 128 KiB are free, an madvise plus a TLB shootdown on every
// core each time. Large blocks (frames up to a few MiB) stay on the heap too.
static inline void clinux_keep_freed_memory(void) {
    mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
}

// The uid of the process at the other end of a Unix socket (SO_PEERCRED). Glibc declares `struct ucred`
// only under _GNU_SOURCE, which Swift's Glibc module is not built with, so the kernel's layout is
// spelled out here (pid, uid, gid: the same on every Linux architecture).
struct clinux_ucred { int pid; unsigned int uid; unsigned int gid; };
static inline int clinux_peer_uid(int fd, unsigned int *uid) {
    struct clinux_ucred cred;
    socklen_t length = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 || length != sizeof(cred)) return -1;
    *uid = cred.uid;
    return 0;
}
#endif
