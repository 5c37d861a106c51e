/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory ordering for memory shared with ghost.ko, after liburing's
 * barrier.h.
 *
 * The module and the agent share three regions: message rings, the
 * transaction slots and the status words.  Each has one writer per field
 * and publishes with a store-release that the reader pairs with a
 * load-acquire:
 *
 *   ring:  the kernel stores a message, then head (release); the agent
 *          loads head (acquire), reads the message, then stores tail
 *          (release) so the kernel never overwrites a slot still in use.
 *   txn:   the agent fills a slot, then stores state = GHOST_TXN_READY
 *          (release); the kernel claims it with a compare-and-swap and
 *          stores the final state (release), loaded here with acquire.
 *   sw:    the kernel writes a word, then its barrier and flags (release).
 *
 * C11 atomics on plain fields give exactly this on every architecture;
 * on x86 they compile to ordinary moves.
 */
#ifndef _GHOST_BARRIER_H
#define _GHOST_BARRIER_H

#define ghost_load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ghost_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ghost_load_relaxed(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define ghost_store_relaxed(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* Compare-and-swap with full ordering: true if *p was @old. */
#define ghost_cmpxchg(p, old, new) ({					\
	__typeof__(*(p)) __old = (old);					\
	__atomic_compare_exchange_n((p), &__old, (new), 0,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
})

#define ghost_smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

/* A hint to the CPU that we are spinning. */
static inline void ghost_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* _GHOST_BARRIER_H */
