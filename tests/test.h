/* test.h - the smallest test framework that does the job (host tests of virtio.h)

   Output protocol, one line per case: "PASS <name>", "FAIL <name> -> <why>" or "SKIP <name>";
   other lines start with "INFO ". A program exits nonzero if any case failed.

   A case is a void function. CHECK* macros record the first failure and return from it, so
   helpers that check things are void too and callers follow them with CHECK_OK(). */
#ifndef TEST_H
#define TEST_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define T_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_SANITIZER 1
#endif
#endif
#ifdef T_SANITIZER
#include <sanitizer/common_interface_defs.h>
/* Sanitizer reports end in abort(), which the handler below turns into the case's FAIL line
   (UBSan's runtime does not call ASan's death callback). Environment options still win. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__asan_default_options(void) { return "abort_on_error=1:detect_leaks=1"; }
const char *__ubsan_default_options(void) { return "abort_on_error=1:print_stacktrace=1"; }
#endif

typedef struct test_state {
    int failed, skipped;
    volatile int running; /* a case is between t_begin and t_end */
    char name[160];
    char msg[512];
    int npass, nfail, nskip;
} test_state;

static test_state T;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline void
t_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    int n;
    if (T.failed) return;
    T.failed = 1;
    n = snprintf(T.msg, sizeof T.msg, "%s:%d: ", file, line);
    if (n < 0 || (size_t)n >= sizeof T.msg) return;
    va_start(ap, fmt);
    vsnprintf(T.msg + n, sizeof T.msg - (size_t)n, fmt, ap);
    va_end(ap);
}

#define T_FAIL(...) t_fail(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK_OK()                                                                                 \
    do {                                                                                           \
        if (T.failed || T.skipped) return;                                                         \
    } while (0)
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            T_FAIL("%s", #c);                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define CHECK_MSG(c, ...)                                                                          \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            T_FAIL(__VA_ARGS__);                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)
/* Integer equality; prints both values (signed and hex). */
#define CHECK_EQ(got, want)                                                                        \
    do {                                                                                           \
        unsigned long long g_ = (unsigned long long)(got), w_ = (unsigned long long)(want);        \
        if (g_ != w_) {                                                                            \
            T_FAIL("%s -> got %lld (0x%llx) want %lld (0x%llx)", #got, (long long)g_, g_,          \
                   (long long)w_, w_);                                                             \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define CHECK_LE(got, bound)                                                                       \
    do {                                                                                           \
        unsigned long long g_ = (unsigned long long)(got), b_ = (unsigned long long)(bound);       \
        if (g_ > b_) {                                                                             \
            T_FAIL("%s -> got %llu want <= %llu", #got, g_, b_);                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define CHECK_GE(got, bound)                                                                       \
    do {                                                                                           \
        unsigned long long g_ = (unsigned long long)(got), b_ = (unsigned long long)(bound);       \
        if (g_ < b_) {                                                                             \
            T_FAIL("%s -> got %llu want >= %llu", #got, g_, b_);                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define CHECK_MEM(a, b, n)                                                                         \
    do {                                                                                           \
        const unsigned char *a_ = (const unsigned char *)(a), *b_ = (const unsigned char *)(b);    \
        size_t n_ = (size_t)(n), i_;                                                               \
        for (i_ = 0; i_ < n_ && a_[i_] == b_[i_]; i_++) {                                          \
        }                                                                                          \
        if (i_ < n_) {                                                                             \
            T_FAIL("%s differs from %s at byte %zu of %zu (0x%02x vs 0x%02x)", #a, #b, i_, n_,     \
                   a_[i_], b_[i_]);                                                                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#ifdef VIRTIO_RESULTS
/* The enum name of a result code, for failure messages. */
static inline const char *t_rc_name(int rc) {
#define T_RC_NAME(name, value, text)                                                               \
    if (rc == (value)) return #name;
    VIRTIO_RESULTS(T_RC_NAME)
#undef T_RC_NAME
    return "?";
}
/* A virtio_result; prints the names too. */
#define CHECK_RC(got, want)                                                                        \
    do {                                                                                           \
        int g_ = (int)(got), w_ = (int)(want);                                                     \
        if (g_ != w_) {                                                                            \
            T_FAIL("%s -> got %d (%s) want %d (%s)", #got, g_, t_rc_name(g_), w_, t_rc_name(w_));  \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#endif

#define T_SKIP(...)                                                                                \
    do {                                                                                           \
        T.skipped = 1;                                                                             \
        snprintf(T.msg, sizeof T.msg, __VA_ARGS__);                                                \
        return;                                                                                    \
    } while (0)

/* A case that crashes (sanitizer report, abort, fault) still gets its FAIL line, so the
   runner's count names it; the report itself is above, on stderr. */
static inline void t_died(const char *why) {
    if (!T.running) return;
    T.running = 0;
    fflush(stderr);
    printf("FAIL %s -> %s\n", T.name, why);
    fflush(stdout);
}

static inline void t_crashed(void) { t_died("crashed (see the report above)"); }

static inline void t_on_signal(int sig) {
    t_died(sig == SIGTERM ? "killed: timed out (a wait without a bound?)"
                          : "crashed (see the report above)");
    signal(sig, SIG_DFL);
    raise(sig);
}

/* sigaction where POSIX is on (host.mk defines _POSIX_C_SOURCE): under strict C11 glibc's
   signal() is __sysv_signal, which ASan's runtime does not hook, and the handler never runs. */
static inline void t_catch(int sig) {
#if defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 199309L
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = t_on_signal;
    sa.sa_flags = (int)SA_RESETHAND;
    sigaction(sig, &sa, NULL);
#else
    signal(sig, t_on_signal);
#endif
}

static inline void t_install_crash_handlers(void) {
    static int done;
    if (done) return;
    done = 1;
#ifdef T_SANITIZER
    __sanitizer_set_death_callback(t_crashed);
#endif
    t_catch(SIGABRT);
    t_catch(SIGSEGV);
    t_catch(SIGFPE);
    t_catch(SIGTERM); /* the runner's timeout */
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static inline void
t_begin(const char *fmt, ...) {
    va_list ap;
    t_install_crash_handlers();
    T.failed = T.skipped = 0;
    T.msg[0] = 0;
    va_start(ap, fmt);
    vsnprintf(T.name, sizeof T.name, fmt, ap);
    va_end(ap);
    T.running = 1;
}

static inline void t_end(void) {
    T.running = 0;
    if (T.failed) {
        printf("FAIL %s -> %s\n", T.name, T.msg);
        T.nfail++;
    } else if (T.skipped) {
        printf("SKIP %s (%s)\n", T.name, T.msg);
        T.nskip++;
    } else {
        printf("PASS %s\n", T.name);
        T.npass++;
    }
    fflush(stdout);
}

static inline int t_summary(const char *program) {
    printf("INFO %s: %d cases, %d passed, %d failed, %d skipped\n", program,
           T.npass + T.nfail + T.nskip, T.npass, T.nfail, T.nskip);
    return T.nfail ? 1 : 0;
}

#endif /* TEST_H */
