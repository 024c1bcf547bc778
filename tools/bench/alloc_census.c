// A census of live heap blocks by size, for finding what a server holds per connection
// (bench/RESULTS.md, "memory per idle connection"). Not part of the build:
//
//   gcc -O2 -shared -fPIC -o /tmp/alloc_census.so tools/bench/alloc_census.c
//   LD_PRELOAD=/tmp/alloc_census.so ALLOC_CENSUS_OUT=/tmp/census.txt parleyd ...
//   kill -USR2 <pid>      # before, and again while the connections are held
//
// Each SIGUSR2 appends the live block count per 16-byte usable-size class (classes with
// more than 200 blocks) and glibc's mallinfo2() totals. The difference of two dumps divided
// by the number of connections is what each one holds, by block size. The dump runs in the
// signal handler (not async-signal-safe): a measuring aid only.
#define _GNU_SOURCE
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
extern void* __libc_malloc(size_t);
extern void __libc_free(void*);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
#define NB 4097
static _Atomic long live[NB];
static _Atomic long total_live_bytes;
static inline int bucket(size_t u) { size_t b = u / 16; return b >= NB - 1 ? NB - 1 : (int)b; }
static inline void on_alloc(void* p) { if (!p) return; size_t u = malloc_usable_size(p); atomic_fetch_add(&live[bucket(u)], 1); atomic_fetch_add(&total_live_bytes, (long)u); }
static inline void on_free(void* p) { if (!p) return; size_t u = malloc_usable_size(p); atomic_fetch_sub(&live[bucket(u)], 1); atomic_fetch_sub(&total_live_bytes, (long)u); }
void* malloc(size_t n) { void* p = __libc_malloc(n); on_alloc(p); return p; }
void free(void* p) { on_free(p); __libc_free(p); }
void* calloc(size_t a, size_t b) { void* p = __libc_calloc(a, b); on_alloc(p); return p; }
void* realloc(void* p, size_t n) { on_free(p); void* q = __libc_realloc(p, n); if (q) on_alloc(q); else if (p && n) on_alloc(p); return q; }
void* memalign(size_t a, size_t n) { void* p = __libc_memalign(a, n); on_alloc(p); return p; }
void* aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void** r, size_t a, size_t n) { void* p = memalign(a, n); if (!p) return 12; *r = p; return 0; }
static void dump(int sig) {
  (void)sig;
  const char* path = getenv("ALLOC_CENSUS_OUT");
  FILE* f = fopen(path ? path : "/tmp/alloc-census.txt", "a");
  if (!f) return;
  fprintf(f, "=== live bytes %ld\n", atomic_load(&total_live_bytes));
  for (int i = 0; i < NB; ++i) { long c = atomic_load(&live[i]); if (c > 200) fprintf(f, "%d\t%ld\t%ld\n", i * 16, c, c * (long)(i * 16)); }
  struct mallinfo2 mi = mallinfo2();
  fprintf(f, "arena %zu uordblks %zu fordblks %zu hblkhd %zu keepcost %zu\n", mi.arena, mi.uordblks, mi.fordblks, mi.hblkhd, mi.keepcost);
  fclose(f);
}
__attribute__((constructor)) static void init(void) { signal(SIGUSR2, dump); }
