// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: loading policy plugins and delivering messages to them.
 *
 * A plugin is untrusted until checked: its table's ABI version and size
 * are read before anything else, and only then its callbacks.  Its init
 * can be tried in a forked child first (ghost_policy_probe()), so that a
 * plugin that crashes there cannot take the caller down.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ghost/policy.h>

#include "internal.h"

#define PROBE_TIMEOUT_MS	5000

struct required_op {
	const char *name;
	size_t off;
};

#define OP(f)	{ #f, offsetof(struct ghost_policy_ops, f) }

static const struct required_op required_ops[] = {
	OP(init), OP(schedule), OP(task_new), OP(task_wakeup),
	OP(task_blocked), OP(task_preempt), OP(task_yield), OP(task_dead),
	OP(task_departed),
};

static int has_op(const struct ghost_policy_ops *ops, size_t off)
{
	void *fn;

	memcpy(&fn, (const char *)ops + off, sizeof(fn));
	return fn != NULL;
}

int ghost_policy_validate(const struct ghost_policy_ops *ops, char *msg,
			  size_t len)
{
	const char *name;
	size_t i;

	if (!ops) {
		libghost_msg(msg, len, "no ops table");
		return -EINVAL;
	}
	if (ops->abi_version != GHOST_POLICY_ABI_VERSION) {
		libghost_msg(msg, len,
			     "policy ABI version %u, but this agent speaks version %u: rebuild the policy against this ghost's <ghost/policy.h>",
			     ops->abi_version, GHOST_POLICY_ABI_VERSION);
		return -EINVAL;
	}
	if (ops->size < sizeof(*ops)) {
		libghost_msg(msg, len,
			     "ops table of %u bytes is too short: this agent needs %zu (a policy built against an older <ghost/policy.h>?)",
			     ops->size, sizeof(*ops));
		return -EINVAL;
	}
	name = ops->name && *ops->name ? ops->name : NULL;
	if (!name) {
		libghost_msg(msg, len, "the policy has no name");
		return -EINVAL;
	}
	if (ops->model != GHOST_POLICY_PER_CPU &&
	    ops->model != GHOST_POLICY_CENTRALIZED) {
		libghost_msg(msg, len,
			     "policy %s: unknown model %d (expected GHOST_POLICY_PER_CPU or GHOST_POLICY_CENTRALIZED)",
			     name, ops->model);
		return -EINVAL;
	}
	for (i = 0; i < sizeof(required_ops) / sizeof(required_ops[0]); i++) {
		if (!has_op(ops, required_ops[i].off)) {
			libghost_msg(msg, len,
				     "policy %s lacks the required callback %s",
				     name, required_ops[i].name);
			return -EINVAL;
		}
	}
	if (ops->dispatch_flags & ~GHOST_DL_F_ALL) {
		libghost_msg(msg, len,
			     "policy %s asks for unknown dispatch flags %#x",
			     name, ops->dispatch_flags & ~GHOST_DL_F_ALL);
		return -EINVAL;
	}
	if (ops->state_format && (!ops->export_state || !ops->import_state)) {
		libghost_msg(msg, len,
			     "policy %s names state format %s but lacks export_state or import_state",
			     name, ops->state_format);
		return -EINVAL;
	}
	return 0;
}

/* "<dir>/<name>.so" of the first dir that has it, into @path. */
static int find_policy(const char *name, const char *const dirs[],
		       char *path, size_t plen, char *msg, size_t len)
{
	char tried[1024] = "";
	size_t off = 0;
	int n;

	if (strchr(name, '/')) {
		n = snprintf(path, plen, "%s", name);
		if (n < 0 || (size_t)n >= plen)
			return -ENAMETOOLONG;
		if (access(path, R_OK)) {
			libghost_msg(msg, len, "cannot read policy %s: %s",
				     path, strerror(errno));
			return -ENOENT;
		}
		return 0;
	}
	for (; dirs && *dirs; dirs++) {
		n = snprintf(path, plen, "%s/%s.so", *dirs, name);
		if (n < 0 || (size_t)n >= plen)
			continue;
		if (!access(path, R_OK))
			return 0;
		if (off < sizeof(tried))
			off += snprintf(tried + off, sizeof(tried) - off, "%s%s",
					off ? ", " : "", *dirs);
	}
	libghost_msg(msg, len,
		     "no policy named %s (looked for %s.so in %s; give a path or set GHOST_POLICY_PATH)",
		     name, name, off ? tried : "no directory");
	return -ENOENT;
}

/*
 * Code that runs in the agent (root, CAP_SYS_NICE) must be as trusted as
 * the agent, as a kernel module must be: owned by root (or by the user
 * running it) and writable by nobody else.
 */
static int check_trusted(int fd, const char *path, char *msg, size_t len)
{
	struct stat st;

	if (fstat(fd, &st)) {
		libghost_msg(msg, len, "cannot read policy %s: %s", path,
			     strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		libghost_msg(msg, len, "policy %s is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		libghost_msg(msg, len,
			     "policy %s belongs to uid %u: only files of root (or of the user running the agent) are loaded",
			     path, (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		libghost_msg(msg, len,
			     "policy %s is writable by group or others (mode %03o): chmod go-w it",
			     path, (unsigned int)(st.st_mode & 0777));
		return -EPERM;
	}
	return 0;
}

/*
 * The file is checked through the descriptor but loaded by name, so no
 * one else may be able to put another file under that name: every
 * directory above it must be owned by root (or by the user running the
 * agent) and writable by nobody else, unless it is sticky (as /tmp is),
 * where only the file's owner may rename or remove it.
 */
static int check_trusted_dirs(const char *real, const char *path, char *msg,
			      size_t len)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", real);
	while ((slash = strrchr(dir, '/'))) {
		slash[slash == dir] = '\0';
		if (stat(dir, &st)) {
			libghost_msg(msg, len, "cannot read directory %s of policy %s: %s",
				     dir, path, strerror(errno));
			return -errno;
		}
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			libghost_msg(msg, len,
				     "directory %s of policy %s belongs to uid %u: its owner could replace the policy",
				     dir, path, (unsigned int)st.st_uid);
			return -EPERM;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(st.st_mode & S_ISVTX)) {
			libghost_msg(msg, len,
				     "directory %s of policy %s is writable by group or others (mode %03o): chmod go-w it",
				     dir, path, (unsigned int)(st.st_mode & 0777));
			return -EPERM;
		}
		if (slash == dir)
			break;
	}
	return 0;
}

int ghost_policy_open(const char *name, const char *const dirs[],
		      struct ghost_policy_lib *lib, char *msg, size_t len)
{
	char why[512], real[PATH_MAX];
	void *sym;
	int ret, fd;

	memset(lib, 0, sizeof(*lib));
	ret = find_policy(name, dirs, lib->path, sizeof(lib->path), msg, len);
	if (ret)
		return ret;
	/* Symbolic links resolved: the directories checked are the file's. */
	if (!realpath(lib->path, real)) {
		ret = -errno;
		libghost_msg(msg, len, "cannot read policy %s: %s", lib->path,
			     strerror(errno));
		return ret;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		libghost_msg(msg, len, "cannot read policy %s: %s", lib->path,
			     strerror(errno));
		return ret;
	}
	ret = check_trusted(fd, lib->path, msg, len);
	if (!ret)
		ret = check_trusted_dirs(real, lib->path, msg, len);
	if (ret) {
		close(fd);
		return ret;
	}
	/*
	 * By path: the loader matches /proc/self/fd/N names across loads,
	 * and a reused descriptor number would name another library.
	 */
	lib->dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
	close(fd);
	if (!lib->dl) {
		libghost_msg(msg, len, "cannot load policy %s: %s", lib->path,
			     dlerror());
		return -ELIBBAD;
	}
	dlerror();
	sym = dlsym(lib->dl, GHOST_POLICY_SYMBOL);
	if (!sym) {
		libghost_msg(msg, len,
			     "%s does not export the symbol " GHOST_POLICY_SYMBOL " (define the policy with GHOST_POLICY_DEFINE())",
			     lib->path);
		ghost_policy_close(lib);
		return -ELIBBAD;
	}
	lib->ops = sym;
	ret = ghost_policy_validate(lib->ops, why, sizeof(why));
	if (ret) {
		libghost_msg(msg, len, "%s: %s", lib->path, why);
		ghost_policy_close(lib);
		return -ELIBBAD;
	}
	return 0;
}

void ghost_policy_close(struct ghost_policy_lib *lib)
{
	if (lib->dl)
		dlclose(lib->dl);
	lib->dl = NULL;
	lib->ops = NULL;
}

/* Services of the probe child: nothing to schedule, logs to stderr. */
static int probe_run(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		     __u32 barrier)
{
	return -ENOTCONN;
}

static __u64 probe_now(struct ghost_policy_ctx *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int probe_task_cpu(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return -1;
}

static void probe_log(struct ghost_policy_ctx *ctx, const char *s)
{
	fprintf(stderr, "policy: %s\n", s);
}

static void probe_error(struct ghost_policy_ctx *ctx, const char *reason)
{
	fprintf(stderr, "policy failed: %s\n", reason);
}

static int probe_dl_push(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
			 __u32 barrier)
{
	return -ENOTCONN;
}

static int probe_dl_cpu(struct ghost_policy_ctx *ctx, int cpu)
{
	return -ENOTCONN;
}

static int probe_dl_set_flags(struct ghost_policy_ctx *ctx, int cpu,
			      __u32 flags)
{
	return -ENOTCONN;
}

static int probe_dl_entries(struct ghost_policy_ctx *ctx, int cpu,
			    struct ghost_dispatch_entry *out, int max)
{
	return -ENOTCONN;
}

static const struct ghost_policy_host probe_host = {
	.run		= probe_run,
	.now_ns		= probe_now,
	.task_cpu	= probe_task_cpu,
	.log		= probe_log,
	.error		= probe_error,
	.dl_push	= probe_dl_push,
	.dl_outstanding	= probe_dl_cpu,
	.dl_set_flags	= probe_dl_set_flags,
	.dl_entries	= probe_dl_entries,
};

static void __attribute__((noreturn))
probe_child(const struct ghost_policy_ops *ops,
	    const struct ghost_policy_ctx *tmpl, const char *const opts[])
{
	struct rlimit no_core = { 0, 0 };
	struct ghost_policy_ctx ctx = *tmpl;
	int ret;

	/* A crash here is expected to be possible: leave no core behind. */
	setrlimit(RLIMIT_CORE, &no_core);
	ctx.host = &probe_host;
	ctx.host_size = sizeof(probe_host);
	ctx.priv = NULL;
	ret = ops->init(&ctx, opts);
	if (ret)
		_exit(ret < 0 && -ret < 126 ? -ret : 125);
	if (ops->fini)
		ops->fini(&ctx);
	_exit(0);
}

/* waitpid() for up to PROBE_TIMEOUT_MS; kill the child past it. */
static int wait_child(pid_t pid, int *status)
{
	struct timespec ts = { 0, 2000000 };
	int waited;
	pid_t r;

	for (waited = 0; waited < PROBE_TIMEOUT_MS; waited += 2) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -ETIMEDOUT;
}

int ghost_policy_probe(const struct ghost_policy_ops *ops,
		       const struct ghost_policy_ctx *ctx,
		       const char *const opts[], char *msg, size_t len)
{
	int status, ret;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		probe_child(ops, ctx, opts);

	ret = wait_child(pid, &status);
	if (ret == -ETIMEDOUT) {
		libghost_msg(msg, len, "policy %s: init did not return within %d ms",
			     ops->name, PROBE_TIMEOUT_MS);
		return ret;
	}
	if (ret)
		return ret;
	if (WIFSIGNALED(status)) {
		libghost_msg(msg, len, "policy %s crashed in init: %s",
			     ops->name, strsignal(WTERMSIG(status)));
		return -ECHILD;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status)) {
		ret = WEXITSTATUS(status);
		libghost_msg(msg, len, "policy %s refused to start: %s",
			     ops->name, ret < 125 ? strerror(ret) :
			     "init failed");
		return -EINVAL;
	}
	return 0;
}

#define CALL(fn, type)							\
	do {								\
		if (m->length < sizeof(*m) + sizeof(type))		\
			return -EINVAL;					\
		if (!ops->fn)						\
			return 0;					\
		ops->fn(ctx, m, (const type *)ghost_msg_payload(m));	\
		return 1;						\
	} while (0)

int ghost_policy_dispatch(const struct ghost_policy_ops *ops,
			  struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m)
{
	switch (m->type) {
	case GHOST_MSG_TASK_NEW:
		CALL(task_new, struct ghost_msg_task_new);
	case GHOST_MSG_TASK_WAKEUP:
		CALL(task_wakeup, struct ghost_msg_task_wakeup);
	case GHOST_MSG_TASK_BLOCKED:
		CALL(task_blocked, struct ghost_msg_task);
	case GHOST_MSG_TASK_PREEMPT:
		CALL(task_preempt, struct ghost_msg_task);
	case GHOST_MSG_TASK_YIELD:
		CALL(task_yield, struct ghost_msg_task);
	case GHOST_MSG_TASK_DEAD:
		CALL(task_dead, struct ghost_msg_task);
	case GHOST_MSG_TASK_DEPARTED:
		CALL(task_departed, struct ghost_msg_task);
	case GHOST_MSG_TASK_AFFINITY_CHANGED:
		CALL(task_affinity_changed, struct ghost_msg_task);
	case GHOST_MSG_TASK_ON_CPU:
		CALL(task_on_cpu, struct ghost_msg_task);
	case GHOST_MSG_TASK_PRIORITY_CHANGED:
		CALL(task_priority_changed, struct ghost_msg_task_priority);
	case GHOST_MSG_TASK_LATCHED:
		CALL(task_latched, struct ghost_msg_task);
	case GHOST_MSG_CPU_TICK:
		CALL(cpu_tick, struct ghost_msg_cpu);
	case GHOST_MSG_CPU_AVAILABLE:
		CALL(cpu_available, struct ghost_msg_cpu);
	case GHOST_MSG_CPU_BUSY:
		CALL(cpu_busy, struct ghost_msg_cpu);
	case GHOST_MSG_CPU_OFFLINE:
		CALL(cpu_offline, struct ghost_msg_cpu);
	case GHOST_MSG_CPU_ONLINE:
		CALL(cpu_online, struct ghost_msg_cpu);
	default:
		return 0;
	}
}

int ghost_policy_state_compatible(const struct ghost_policy_ops *from,
				  const struct ghost_policy_ops *to)
{
	return from->state_format && to->state_format &&
	       from->export_state && to->import_state &&
	       !strcmp(from->state_format, to->state_format);
}

#define SEARCH_DIRS	16

const char *const *ghost_policy_search_path(void)
{
	static char exe[PATH_MAX], dirbuf[2][PATH_MAX + 32];
	static const char *dirs[SEARCH_DIRS + 1];
	static char *env;
	char *tok, *save;
	ssize_t n;
	int nr = 0;

	if (dirs[0])
		return dirs;
	if (getenv("GHOST_POLICY_PATH")) {
		env = strdup(getenv("GHOST_POLICY_PATH"));
		for (tok = env ? strtok_r(env, ":", &save) : NULL;
		     tok && nr < SEARCH_DIRS - 2;
		     tok = strtok_r(NULL, ":", &save))
			if (*tok)
				dirs[nr++] = tok;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		/* dirname() may cut @exe itself: it names the directory then. */
		snprintf(dirbuf[0], sizeof(dirbuf[0]), "%s/../policies",
			 dirname(exe));
		snprintf(dirbuf[1], sizeof(dirbuf[1]), "%s/../lib/ghost/policies",
			 exe);
		dirs[nr++] = dirbuf[0];
		dirs[nr++] = dirbuf[1];
	}
	dirs[nr] = NULL;
	return dirs;
}
