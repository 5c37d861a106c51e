/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghost-sim: the assertions of the kernel model (test/unit/sim.c), which
 * the unit tests take from Check, as reports.  A failed one means the
 * policy broke a rule the module enforces (or the workload went past the
 * model's limits): ghost-sim says where and stops with status 1 instead
 * of aborting.  Each operand is evaluated once, as Check does.
 */
#ifndef _GHOST_SIM_CHECK_H
#define _GHOST_SIM_CHECK_H

void sim_check_failed(const char *file, int line, const char *expr,
		      const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

#define ck_assert_msg(expr, ...)					\
	do {								\
		if (!(expr))						\
			sim_check_failed(__FILE__, __LINE__, #expr,	\
					 __VA_ARGS__);			\
	} while (0)

#define ck_assert(expr)	ck_assert_msg(expr, "%s", "")

#define SIM_CK_OP(type, fmt, a, op, b)					\
	do {								\
		type __a = (type)(a), __b = (type)(b);			\
		if (!(__a op __b))					\
			sim_check_failed(__FILE__, __LINE__,		\
					 #a " " #op " " #b,		\
					 fmt " vs " fmt, __a, __b);	\
	} while (0)

#define ck_assert_int_eq(a, b)	SIM_CK_OP(long long, "%lld", a, ==, b)
#define ck_assert_int_ne(a, b)	SIM_CK_OP(long long, "%lld", a, !=, b)
#define ck_assert_int_lt(a, b)	SIM_CK_OP(long long, "%lld", a, <, b)
#define ck_assert_int_le(a, b)	SIM_CK_OP(long long, "%lld", a, <=, b)
#define ck_assert_int_gt(a, b)	SIM_CK_OP(long long, "%lld", a, >, b)
#define ck_assert_int_ge(a, b)	SIM_CK_OP(long long, "%lld", a, >=, b)
#define ck_assert_uint_eq(a, b)	\
	SIM_CK_OP(unsigned long long, "%llu", a, ==, b)
#define ck_assert_ptr_nonnull(p)	ck_assert_msg((p) != NULL, "NULL")

#endif /* _GHOST_SIM_CHECK_H */
