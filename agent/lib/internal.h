/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libghost internals shared between its source files.  These symbols do
 * not start with "ghost_" so the version script keeps them local to the
 * shared library; unit tests link the objects statically and use them.
 */
#ifndef _GHOST_LIB_INTERNAL_H
#define _GHOST_LIB_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include <ghost/libghost.h>

#ifndef GHOST_PKG_VERSION
#define GHOST_PKG_VERSION "unknown"
#endif

/* Room for a path under ghostfs. */
#define PATH_LEN	512

/* Where ghostfs is looked for; GHOST_FS_PATH except in unit tests. */
extern const char *libghost_root;

/* Build "<libghost_root>/<fmt...>" into @buf; -ENAMETOOLONG if too long. */
int libghost_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* printf into @msg if it is non-NULL and @len > 0; never fails. */
void libghost_msg(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Parse a decimal at *@s (digits only, no sign or space) no larger than
 * @max, advancing *@s past it.  -EINVAL if there is no digit, -ERANGE if
 * larger than @max.
 */
int libghost_parse_uint(const char **s, unsigned long max,
			unsigned long *out);

/* Read a file holding one decimal (and an optional newline). */
int libghost_read_uint(const char *path, unsigned int *val);

/* 1 if @c is a space, tab, newline or carriage return. */
static inline int libghost_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\f' || c == '\v';
}

/*
 * Explain that the module speaks none of ours: @prog is the program name,
 * @text the content of the version file.
 */
void libghost_version_msg(const char *prog, const char *text, char *msg,
			  size_t len);

/* Parse "enclave_<id>" (canonical decimal id); 0 or -EINVAL. */
int libghost_enclave_dirname(const char *name, unsigned int *id);

/* Bytes of @cpus up to its last CPU, in whole longs as the kernel reads. */
unsigned int libghost_cpuset_len(const struct ghost_cpuset *cpus);

/*
 * Of @cpus, into @out, the CPUs whose enabled dispatch list has entries
 * while the CPU has no ghost thread: those GHOST_IOC_DISPATCH must kick.
 * Issues the full barrier of the protocol first.  Returns how many.
 */
int libghost_dispatch_to_kick(const struct ghost_enclave *e,
			      const struct ghost_cpuset *cpus,
			      struct ghost_cpuset *out);

/*
 * ghost_agent_request() that passes file descriptor @pass (if >= 0) with
 * the request (SCM_RIGHTS on its first bytes).
 */
int libghost_agent_request_fd(const char *path, const char *request, int pass,
			      char **reply, size_t max, int timeout_ms);

#endif /* _GHOST_LIB_INTERNAL_H */
