/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pause of a busy-wait loop: it spares the sibling hyperthread and
 * the memory bus while a thread spins.
 */
#ifndef RDB_RELAX_H
#define RDB_RELAX_H

static inline void rdb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* RDB_RELAX_H */
