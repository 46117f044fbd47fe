/*
 * baseline.c - C ceiling for the IPC benchmark.
 *
 * Measures raw length-prefixed framing over a Unix domain socket with no JSON
 * encoding or decoding at all, so the Swift figures (bench-ipc) have a
 * "best this machine can do" number printed next to them.
 *
 * Frame format: 4-byte unsigned big-endian payload length N, then N bytes.
 * 0 < N <= 1 MiB; anything else is a protocol error and the connection closes.
 *
 * Build:  cc -O2 -Wall -Wextra -pthread -o /tmp/ipc-baseline baseline.c
 *
 * Usage:
 *   baseline server <socket-path>
 *   baseline client <socket-path> [options]
 *   baseline both [options]
 * Options: --size 200 --rtt-count 20000 --pipeline-count 200000
 *          --window 128 --label c-baseline
 *
 * The client prints exactly one JSON line on stdout; diagnostics go to stderr.
 */
#define _POSIX_C_SOURCE 200809L
#define _DARWIN_C_SOURCE /* SOMAXCONN and friends on macOS; no effect on Linux */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    FRAME_HEADER = 4,
    FRAME_MAX = 1 << 20,   /* 1 MiB payload limit */
    READ_SLACK = 64 << 10, /* extra buffer room so one read() can pull in many small frames */
    WARMUP_ROUND_TRIPS = 1000,
};

/* ------------------------------------------------------------------------ */
/* Diagnostics and time                                                      */

static void warnf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("baseline: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------------------ */
/* Byte I/O helpers: retry on EINTR and on short transfers                   */

/*
 * Read into buf until at least `min` bytes have arrived, taking up to `max`
 * if the kernel has them (so one syscall can deliver many pipelined frames).
 * With min == max this is a plain read-exactly-n ("read_full").
 * Returns the byte count, which is < min only on EOF, or -1 on error.
 */
static ssize_t read_at_least(int fd, uint8_t *buf, size_t min, size_t max)
{
    size_t got = 0;
    while (got < min) {
        ssize_t n = read(fd, buf + got, max - got);
        if (n > 0) {
            got += (size_t)n;
        } else if (n == 0) {
            break; /* EOF */
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return (ssize_t)got;
}

/* Write exactly n bytes. Returns 0, or -1 on error (EPIPE if the peer left). */
static int write_full(int fd, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w >= 0) {
            buf += w;
            n -= (size_t)w;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Framing                                                                   */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * Buffered frame reader. Reading header and payload with two exact-size
 * read() calls would cost two syscalls per frame; instead we read whatever the
 * kernel has (up to READ_SLACK beyond the largest frame) and carve frames out
 * of the buffer, which is what a well-built transport does and so is the fair
 * ceiling to compare against.
 */
typedef struct {
    int fd;
    uint8_t *buf;
    size_t cap;        /* FRAME_HEADER + FRAME_MAX + READ_SLACK */
    size_t start, end; /* unconsumed bytes are buf[start, end) */
    const char *error; /* protocol error text when frame_read returns FRAME_ERROR with errno == EPROTO */
} frame_reader;

enum { FRAME_ERROR = -1, FRAME_EOF = 0, FRAME_OK = 1 };

static int frame_reader_init(frame_reader *r, int fd)
{
    r->fd = fd;
    r->cap = FRAME_HEADER + FRAME_MAX + READ_SLACK;
    r->buf = malloc(r->cap);
    r->start = r->end = 0;
    r->error = NULL;
    return r->buf ? 0 : -1;
}

static void frame_reader_free(frame_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

static const char *frame_reader_strerror(const frame_reader *r)
{
    return errno == EPROTO && r->error ? r->error : strerror(errno);
}

/* Make sure at least `need` (<= FRAME_HEADER + FRAME_MAX) bytes are buffered.
 * Returns FRAME_OK, FRAME_EOF if the peer closed first, or FRAME_ERROR. */
static int frame_reader_fill(frame_reader *r, size_t need)
{
    size_t have = r->end - r->start;
    if (have >= need)
        return FRAME_OK;
    if (have == 0) {
        r->start = r->end = 0; /* cheap reset keeps reads at the front of the buffer */
    } else if (r->cap - r->start < need) {
        /* Not enough room behind the partial frame: slide it to the front. */
        memmove(r->buf, r->buf + r->start, have);
        r->start = 0;
        r->end = have;
    }
    ssize_t got = read_at_least(r->fd, r->buf + r->end, need - have, r->cap - r->end);
    if (got < 0)
        return FRAME_ERROR;
    r->end += (size_t)got;
    return r->end - r->start >= need ? FRAME_OK : FRAME_EOF;
}

/*
 * Read the next frame. On FRAME_OK, *payload points into the reader's buffer
 * and stays valid until the next call. FRAME_EOF means the peer closed cleanly
 * between frames; a close in the middle of a frame is an error.
 */
static int frame_read(frame_reader *r, const uint8_t **payload, uint32_t *len)
{
    int rc = frame_reader_fill(r, FRAME_HEADER);
    if (rc == FRAME_EOF && r->end == r->start)
        return FRAME_EOF;
    if (rc != FRAME_OK)
        goto truncated_or_error;

    uint32_t n = get_be32(r->buf + r->start);
    if (n == 0 || n > FRAME_MAX) {
        r->error = "bad frame length";
        errno = EPROTO;
        return FRAME_ERROR;
    }
    rc = frame_reader_fill(r, FRAME_HEADER + (size_t)n);
    if (rc != FRAME_OK)
        goto truncated_or_error;

    *payload = r->buf + r->start + FRAME_HEADER;
    *len = n;
    r->start += FRAME_HEADER + (size_t)n;
    return FRAME_OK;

truncated_or_error:
    if (rc == FRAME_EOF) {
        r->error = "connection closed mid-frame";
        errno = EPROTO;
    }
    return FRAME_ERROR;
}

/* ------------------------------------------------------------------------ */
/* Unix sockets                                                              */

static int fill_sockaddr(struct sockaddr_un *addr, const char *path)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr->sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr->sun_path, path);
    return 0;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un addr;
    if (fill_sockaddr(&addr, path) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int listen_unix(const char *path)
{
    struct sockaddr_un addr;
    if (fill_sockaddr(&addr, path) < 0)
        return -1;

    /* Remove a stale socket left by a crashed server, but never some other file. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            errno = ENOTSOCK; /* refuse to delete a file that is not a socket */
            return -1;
        }
        if (unlink(path) < 0)
            return -1;
    }

    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, SOMAXCONN) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int set_nonblocking(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags);
}

/* ------------------------------------------------------------------------ */
/* Server                                                                    */

/* Self-pipe: the signal handler only writes a byte, the accept loop polls it.
 * This avoids the race between checking a flag and blocking in accept(). */
static int stop_pipe[2] = { -1, -1 };

static void on_stop_signal(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t ignored = write(stop_pipe[1], "x", 1);
    (void)ignored;
    errno = saved;
}

/* One thread per connection: echo every request frame back with a response
 * payload of the same size, copied from the request. */
static void *serve_connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    frame_reader reader;
    uint8_t *out = malloc(FRAME_HEADER + FRAME_MAX);
    if (!out || frame_reader_init(&reader, fd) < 0) {
        warnf("connection: out of memory");
        free(out);
        close(fd);
        return NULL;
    }

    for (;;) {
        const uint8_t *payload;
        uint32_t len;
        int rc = frame_read(&reader, &payload, &len);
        if (rc == FRAME_EOF)
            break;
        if (rc == FRAME_ERROR) {
            warnf("connection: read: %s", frame_reader_strerror(&reader));
            break;
        }
        /* Header and payload in one buffer so each response is one write(). */
        put_be32(out, len);
        memcpy(out + FRAME_HEADER, payload, len);
        if (write_full(fd, out, FRAME_HEADER + (size_t)len) < 0) {
            warnf("connection: write: %s", strerror(errno));
            break;
        }
    }

    frame_reader_free(&reader);
    free(out);
    close(fd);
    return NULL;
}

static int run_server(const char *path)
{
    if (pipe(stop_pipe) < 0) {
        warnf("pipe: %s", strerror(errno));
        return 1;
    }
    set_nonblocking(stop_pipe[1], 1); /* the handler must never block */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL); /* a vanished client shows up as EPIPE instead */
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int lfd = listen_unix(path);
    if (lfd < 0) {
        warnf("listen on %s: %s", path, strerror(errno));
        return 1;
    }
    /* Non-blocking so a client that vanishes between poll() and accept()
     * can't wedge the loop and make it deaf to the stop pipe. */
    set_nonblocking(lfd, 1);

    /* Connection threads inherit this mask, so the stop signals are always
     * taken by the accept loop's thread rather than interrupting a worker. */
    sigset_t stop_signals, old_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

    int status = 0;
    for (;;) {
        struct pollfd fds[2] = { { lfd, POLLIN, 0 }, { stop_pipe[0], POLLIN, 0 } };
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            warnf("poll: %s", strerror(errno));
            status = 1;
            break;
        }
        if (fds[1].revents)
            break; /* SIGTERM / SIGINT */
        if (!fds[0].revents)
            continue;

        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
                continue;
            warnf("accept: %s", strerror(errno));
            status = 1;
            break;
        }
        set_nonblocking(cfd, 0); /* BSDs inherit O_NONBLOCK from the listener */

        pthread_t tid;
        pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
        int err = pthread_create(&tid, &attr, serve_connection, (void *)(intptr_t)cfd);
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        if (err != 0) {
            warnf("pthread_create: %s", strerror(err));
            close(cfd);
        }
    }

    pthread_attr_destroy(&attr);
    close(lfd);
    unlink(path);
    /* Returning exits the process, which ends any connection threads. */
    return status;
}

/* ------------------------------------------------------------------------ */
/* Client                                                                    */

typedef struct {
    unsigned long size;
    unsigned long rtt_count;
    unsigned long pipeline_count;
    unsigned long window;
    const char *label;
} client_options;

typedef struct {
    double p50_us, p99_us;
    double pipelined_msgs_per_s;
} client_result;

typedef struct {
    int fd;
    frame_reader reader;
    uint8_t *request; /* header + payload, built once and re-sent */
    size_t request_len;
    const uint8_t *expected; /* request payload, to check the echo */
    uint32_t size;
} client_conn;

/* Check one response frame: right size and an exact copy of the request. */
static int read_response(client_conn *c)
{
    const uint8_t *payload;
    uint32_t len;
    int rc = frame_read(&c->reader, &payload, &len);
    if (rc == FRAME_EOF) {
        warnf("server closed the connection");
        return -1;
    }
    if (rc == FRAME_ERROR) {
        warnf("read response: %s", frame_reader_strerror(&c->reader));
        return -1;
    }
    if (len != c->size || memcmp(payload, c->expected, len) != 0) {
        warnf("response does not echo the request (got %u bytes)", len);
        return -1;
    }
    return 0;
}

static int round_trip(client_conn *c)
{
    if (write_full(c->fd, c->request, c->request_len) < 0) {
        warnf("write request: %s", strerror(errno));
        return -1;
    }
    return read_response(c);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile (rank = ceil(pct/100 * n)) of sorted ns samples, in microseconds. */
static double percentile_us(const uint64_t *sorted, size_t n, unsigned pct)
{
    size_t rank = (n * pct + 99) / 100;
    if (rank < 1)
        rank = 1;
    return (double)sorted[rank - 1] / 1000.0;
}

/* Pipelined phase: a writer thread keeps up to `window` requests in flight,
 * the calling thread reads responses and hands slots back to the writer. */
typedef struct {
    client_conn *conn;
    unsigned long count;
    unsigned long window;
    pthread_mutex_t lock;
    pthread_cond_t slot_free;
    unsigned long outstanding; /* sent but not yet answered */
    int failed;                /* either side hit an error: stop both */
} pipeline;

static void pipeline_fail(pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    p->failed = 1;
    pthread_cond_broadcast(&p->slot_free);
    pthread_mutex_unlock(&p->lock);
    /* Unblock the other side if it is stuck in read() or write(). */
    shutdown(p->conn->fd, SHUT_RDWR);
}

static void *pipeline_writer(void *arg)
{
    pipeline *p = arg;
    for (unsigned long i = 0; i < p->count; i++) {
        pthread_mutex_lock(&p->lock);
        while (p->outstanding >= p->window && !p->failed)
            pthread_cond_wait(&p->slot_free, &p->lock);
        int failed = p->failed;
        if (!failed)
            p->outstanding++;
        pthread_mutex_unlock(&p->lock);
        if (failed)
            break;

        /* One write() per request, as a real client sends them; no batching. */
        if (write_full(p->conn->fd, p->conn->request, p->conn->request_len) < 0) {
            warnf("pipelined write: %s", strerror(errno));
            pipeline_fail(p);
            break;
        }
    }
    return NULL;
}

static int run_pipeline(client_conn *c, unsigned long count, unsigned long window, double *msgs_per_s)
{
    pipeline p = { .conn = c, .count = count, .window = window };
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.slot_free, NULL);

    uint64_t t0 = now_ns();
    pthread_t writer;
    int err = pthread_create(&writer, NULL, pipeline_writer, &p);
    if (err != 0) {
        warnf("pthread_create: %s", strerror(err));
        return -1;
    }

    unsigned long done = 0;
    for (; done < count; done++) {
        pthread_mutex_lock(&p.lock);
        int failed = p.failed;
        pthread_mutex_unlock(&p.lock);
        if (failed || read_response(c) < 0) {
            pipeline_fail(&p);
            break;
        }
        pthread_mutex_lock(&p.lock);
        /* The writer only waits when the window is full, so only wake it then. */
        if (p.outstanding-- == p.window)
            pthread_cond_signal(&p.slot_free);
        pthread_mutex_unlock(&p.lock);
    }
    uint64_t elapsed = now_ns() - t0;

    pthread_join(writer, NULL);
    pthread_cond_destroy(&p.slot_free);
    pthread_mutex_destroy(&p.lock);
    if (done < count)
        return -1;
    *msgs_per_s = (double)done / ((double)elapsed / 1e9);
    return 0;
}

/* Run all measurements on one connected socket. Does not close fd. */
static int run_client(int fd, const client_options *opt, client_result *res)
{
    int status = -1;
    uint64_t *samples = NULL;
    client_conn c = { .fd = fd, .size = (uint32_t)opt->size };
    c.request_len = FRAME_HEADER + opt->size;
    c.request = malloc(c.request_len);
    samples = malloc(opt->rtt_count * sizeof *samples);
    if (!c.request || !samples || frame_reader_init(&c.reader, fd) < 0) {
        warnf("out of memory");
        free(c.request);
        free(samples);
        return -1;
    }
    put_be32(c.request, (uint32_t)opt->size);
    for (size_t i = 0; i < opt->size; i++)
        c.request[FRAME_HEADER + i] = (uint8_t)(i * 31 + 7); /* non-constant, so a bad echo shows */
    c.expected = c.request + FRAME_HEADER;

    /* 1. Warm-up: fault in buffers, wake the server thread, settle caches. */
    for (int i = 0; i < WARMUP_ROUND_TRIPS; i++)
        if (round_trip(&c) < 0)
            goto out;

    /* 2. Sequential round trips, each timed individually. */
    for (unsigned long i = 0; i < opt->rtt_count; i++) {
        uint64_t t0 = now_ns();
        if (round_trip(&c) < 0)
            goto out;
        samples[i] = now_ns() - t0;
    }
    qsort(samples, opt->rtt_count, sizeof *samples, compare_u64);
    res->p50_us = percentile_us(samples, opt->rtt_count, 50);
    res->p99_us = percentile_us(samples, opt->rtt_count, 99);

    /* 3. Pipelined throughput. */
    if (run_pipeline(&c, opt->pipeline_count, opt->window, &res->pipelined_msgs_per_s) < 0)
        goto out;
    status = 0;

out:
    frame_reader_free(&c.reader);
    free(c.request);
    free(samples);
    return status;
}

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void print_result(const client_options *opt, const client_result *res)
{
    printf("{\"label\":");
    print_json_string(opt->label);
    printf(",\"size\":%lu,\"rtt_count\":%lu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"pipelined_count\":%lu,\"pipelined_msgs_per_s\":%.1f}\n",
           opt->size, opt->rtt_count, res->p50_us, res->p99_us, opt->pipeline_count,
           res->pipelined_msgs_per_s);
    fflush(stdout);
}

static int client_mode(const char *path, const client_options *opt)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    int fd = connect_unix(path);
    if (fd < 0) {
        warnf("connect to %s: %s", path, strerror(errno));
        return 1;
    }
    client_result res;
    int rc = run_client(fd, opt, &res);
    close(fd);
    if (rc < 0)
        return 1;
    print_result(opt, &res);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Both: private server in a child process                                   */

/* Connect, retrying while the child is still starting up. Gives up if the
 * child dies or after a few seconds. */
static int connect_when_ready(const char *path, pid_t server)
{
    uint64_t deadline = now_ns() + 5000000000u;
    for (;;) {
        int fd = connect_unix(path);
        if (fd >= 0)
            return fd;
        if (errno != ENOENT && errno != ECONNREFUSED) {
            warnf("connect to %s: %s", path, strerror(errno));
            return -1;
        }
        if (waitpid(server, NULL, WNOHANG) == server) {
            warnf("server exited before accepting connections");
            return -1;
        }
        if (now_ns() > deadline) {
            warnf("server did not start listening on %s", path);
            return -1;
        }
        sleep_ms(1); /* short back-off between attempts, not a guess at readiness */
    }
}

/* SIGTERM the server and reap it; SIGKILL if it does not stop promptly. */
static void stop_server(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 2000; i++) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return;
        sleep_ms(1);
    }
    warnf("server ignored SIGTERM; killing it");
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

static int both_mode(const client_options *opt)
{
    char dir[] = "/tmp/ipc-baseline.XXXXXX";
    if (!mkdtemp(dir)) {
        warnf("mkdtemp: %s", strerror(errno));
        return 1;
    }
    char path[sizeof dir + 8];
    snprintf(path, sizeof path, "%s/sock", dir);

    fflush(NULL); /* don't let the child inherit and re-flush stdio buffers */
    pid_t pid = fork();
    if (pid < 0) {
        warnf("fork: %s", strerror(errno));
        rmdir(dir);
        return 1;
    }
    if (pid == 0)
        _exit(run_server(path));

    int status = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    int fd = connect_when_ready(path, pid);
    if (fd >= 0) {
        client_result res;
        if (run_client(fd, opt, &res) == 0) {
            print_result(opt, &res);
            status = 0;
        }
        close(fd);
    }

    stop_server(pid);
    unlink(path); /* normally already removed by the server */
    if (rmdir(dir) < 0)
        warnf("rmdir %s: %s", dir, strerror(errno));
    return status;
}

/* ------------------------------------------------------------------------ */
/* Command line                                                              */

static void usage(void)
{
    fprintf(stderr,
            "usage: baseline server <socket-path>\n"
            "       baseline client <socket-path> [options]\n"
            "       baseline both [options]\n"
            "options: --size N (default 200, 1..%d)  --rtt-count N (20000)\n"
            "         --pipeline-count N (200000)  --window N (128)  --label S (c-baseline)\n",
            FRAME_MAX);
}

static int parse_ulong(const char *name, const char *s, unsigned long min, unsigned long max,
                       unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
        warnf("%s: expected an integer in %lu..%lu, got '%s'", name, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, client_options *opt)
{
    /* Caps keep the sample array and run time within reason. */
    const unsigned long max_count = 100000000ul;
    for (int i = 0; i < argc; i++) {
        const char *name = argv[i];
        if (i + 1 >= argc) {
            warnf("%s: missing value", name);
            return -1;
        }
        const char *value = argv[++i];
        int rc;
        if (strcmp(name, "--size") == 0)
            rc = parse_ulong(name, value, 1, FRAME_MAX, &opt->size);
        else if (strcmp(name, "--rtt-count") == 0)
            rc = parse_ulong(name, value, 1, max_count, &opt->rtt_count);
        else if (strcmp(name, "--pipeline-count") == 0)
            rc = parse_ulong(name, value, 1, max_count, &opt->pipeline_count);
        else if (strcmp(name, "--window") == 0)
            rc = parse_ulong(name, value, 1, max_count, &opt->window);
        else if (strcmp(name, "--label") == 0) {
            opt->label = value;
            rc = 0;
        } else {
            warnf("unknown option %s", name);
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    client_options opt = {
        .size = 200,
        .rtt_count = 20000,
        .pipeline_count = 200000,
        .window = 128,
        .label = "c-baseline",
    };

    if (argc >= 3 && strcmp(argv[1], "server") == 0) {
        if (argc != 3) {
            usage();
            return 2;
        }
        return run_server(argv[2]);
    }
    if (argc >= 3 && strcmp(argv[1], "client") == 0) {
        if (parse_options(argc - 3, argv + 3, &opt) < 0) {
            usage();
            return 2;
        }
        return client_mode(argv[2], &opt);
    }
    if (argc >= 2 && strcmp(argv[1], "both") == 0) {
        if (parse_options(argc - 2, argv + 2, &opt) < 0) {
            usage();
            return 2;
        }
        return both_mode(&opt);
    }
    usage();
    return 2;
}
