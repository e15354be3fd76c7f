/*
 * Lets HotSpot 9+ use Debian's libhsdis0-fcml for -XX:+PrintAssembly (BENCHMARKS.md, section 1).
 * That library exports only the old entry point, decode_instructions; HotSpot looks up
 * decode_instructions_virtual and prints hex without it. For code in memory the buffer is the code's
 * own address, so the old call does the same job.
 *
 *   gcc -shared -fPIC -O1 -o /tmp/hsdis/hsdis-amd64.so benchmarks/tools/hsdis-shim.c -ldl
 *   LD_LIBRARY_PATH=/tmp/hsdis java -XX:+UnlockDiagnosticVMOptions -XX:+PrintAssembly ...
 *
 * HotSpot tries <java.home>/lib/hsdis-amd64.so first: if that is a link to libhsdis.so.0 itself,
 * use a copy of the JDK with the shim there instead.
 */
#include <dlfcn.h>
#include <stdint.h>

typedef void *(*event_cb)(void *, const char *, void *);
typedef int (*printf_cb)(void *, const char *, ...);
typedef void *(*old_decode)(void *, void *, event_cb, void *, printf_cb, void *, const char *);

static old_decode real;

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_cb ev, void *ev_stream, printf_cb pf, void *pf_stream,
                                  const char *options, int newline) {
    (void) start_va; (void) end_va; (void) newline;
    if (!real) {
        void *lib = dlopen("/usr/lib/x86_64-linux-gnu/libhsdis.so.0", RTLD_NOW | RTLD_LOCAL);
        real = lib ? (old_decode) dlsym(lib, "decode_instructions") : 0;
        if (!real) {
            return 0;
        }
    }
    return real(buffer, buffer + length, ev, ev_stream, pf, pf_stream, options);
}
