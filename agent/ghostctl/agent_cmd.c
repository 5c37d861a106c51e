// SPDX-License-Identifier: GPL-2.0
/*
 * ghostctl: the commands about threads and agents: task add/remove/list,
 * run, policy swap and status.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "cmd.h"

#define MAX_THREADS	65536
#define REPLY_MAX	(64 << 20)	/* as the agent's */
#define STATUS_MS	3000
#define SWAP_MS		20000

/* The threads @pid stands for, into @tids: a count or -errno. */
static int expand(pid_t pid, pid_t *tids, int max)
{
	int n = ghost_process_threads(pid, tids, max);

	return n > max ? max : n;
}

struct task_result {
	int done, failed;
	int status;		/* exit status: 3 if one lacked a privilege */
};

static void task_one(const struct ghostctl_cmd *cmd, pid_t tid,
		     struct task_result *r, FILE *json_done,
		     FILE *json_failed)
{
	int add = cmd->action == GHOSTCTL_TASK_ADD, ret, status;
	const char *hint;

	ret = add ? ghost_task_enter(cmd->id, tid) :
		    ghost_task_leave(cmd->id, tid);
	if (!ret) {
		if (cmd->json)
			fprintf(json_done, "%s%d", r->done ? "," : "", (int)tid);
		else
			printf("thread %d %s enclave %u\n", (int)tid,
			       add ? "added to" : "removed from", cmd->id);
		r->done++;
		return;
	}
	hint = ghost_strerror_hint(ret, "task");
	if (cmd->json)
		fprintf(json_failed, "%s{\"tid\":%d,\"error\":\"%s%s%s\"}",
			r->failed ? "," : "", (int)tid, strerror(-ret),
			hint ? ": " : "", hint ? hint : "");
	/* Errors go to stderr with --json too, as for every command. */
	status = ghostctl_fail(ret, "task", "cannot move thread %d %s enclave %u",
			       (int)tid, add ? "into" : "out of", cmd->id);
	if (r->status != GHOSTCTL_EXIT_PERM)
		r->status = status;
	r->failed++;
}

static int task_list(const struct ghostctl_cmd *cmd)
{
	static pid_t tids[MAX_THREADS];
	int n;

	n = ghost_task_list(cmd->id, tids, MAX_THREADS);
	if (n < 0)
		return ghostctl_fail(n, "status",
				     "cannot list the threads of enclave %u",
				     cmd->id);
	ghostctl_print_tasks(stdout, cmd->id, tids,
			     n > MAX_THREADS ? MAX_THREADS : n, cmd->json);
	return GHOSTCTL_EXIT_OK;
}

int ghostctl_task(const struct ghostctl_cmd *cmd)
{
	static pid_t tids[MAX_THREADS];
	struct ghost_enclave_status st;
	struct task_result r = { 0, 0, GHOSTCTL_EXIT_OK };
	char *done_buf = NULL, *failed_buf = NULL;
	size_t done_len = 0, failed_len = 0;
	FILE *jd = NULL, *jf = NULL;
	int i, j, n, ret;

	ret = ghostctl_prepare(NULL);
	if (ret)
		return ret;
	ret = ghost_enclave_status(cmd->id, &st);
	if (ret)
		return ghostctl_fail(ret, "status", "enclave %u", cmd->id);
	if (cmd->action == GHOSTCTL_TASK_LIST)
		return task_list(cmd);
	if (cmd->json) {
		jd = open_memstream(&done_buf, &done_len);
		jf = open_memstream(&failed_buf, &failed_len);
		if (!jd || !jf)
			return ghostctl_fail(-ENOMEM, NULL, "cannot collect the results");
	}
	for (i = 0; i < cmd->nr_tids; i++) {
		n = expand(cmd->tids[i], tids, MAX_THREADS);
		if (n < 0) {
			/* remove: a thread that is gone may still be listed. */
			tids[0] = cmd->tids[i];
			n = 1;
		}
		for (j = 0; j < n; j++)
			task_one(cmd, tids[j], &r, jd, jf);
	}
	if (cmd->json) {
		fclose(jd);
		fclose(jf);
		printf("{\"enclave\":%u,\"done\":[%s],\"failed\":[%s]}\n",
		       cmd->id, done_buf, failed_buf);
		free(done_buf);
		free(failed_buf);
	}
	return r.status;
}

int ghostctl_run(const struct ghostctl_cmd *cmd)
{
	struct ghost_enclave_status st;
	struct sigaction ign, old_int, old_quit;
	int ret, status;
	pid_t pid;

	ret = ghostctl_prepare(NULL);
	if (ret)
		return ret;
	ret = ghost_enclave_status(cmd->id, &st);
	if (ret)
		return ghostctl_fail(ret, "status", "enclave %u", cmd->id);
	/* Before the thread enters: it could not fail until an agent ran it. */
	ret = ghostctl_find_program(cmd->run_argv[0], getenv("PATH"));
	if (ret) {
		fprintf(stderr, "ghostctl: cannot execute %s: %s\n",
			cmd->run_argv[0], strerror(-ret));
		return GHOSTCTL_EXIT_NOEXEC;
	}
	if (!st.agent_online)
		fprintf(stderr, "ghostctl: warning: no agent serves enclave %u: %s will not run until one does (start ghost-agent --enclave %u)\n",
			cmd->id, cmd->run_argv[0], cmd->id);

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		return ghostctl_fail(ret, NULL, "cannot fork");
	}
	if (!pid) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		ret = ghost_task_enter(cmd->id, 0);
		if (ret)
			_exit(ghostctl_fail(ret, "task",
					    "cannot enter enclave %u", cmd->id));
		execvp(cmd->run_argv[0], cmd->run_argv);
		fprintf(stderr, "ghostctl: cannot execute %s: %s\n",
			cmd->run_argv[0], strerror(errno));
		_exit(GHOSTCTL_EXIT_NOEXEC);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return ghostctl_fail(-errno, NULL, "cannot wait for %s",
					     cmd->run_argv[0]);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * Whether enclave @id surely does not exist: ghostfs shows no such
 * enclave, or the module is not even loaded.  Loaded but not mounted, no
 * one can tell.
 */
static int no_enclave(unsigned int id)
{
	struct ghost_enclave_status st;

	if (access(GHOST_FS_PATH "/version", F_OK))
		return access("/sys/module/ghost", F_OK) != 0;
	return ghost_enclave_status(id, &st) == -ENOENT;
}

/*
 * Send @req to the agent of enclave @id; an exit status.  *@reply is
 * the agent's whole reply (or NULL), for the caller to free.
 */
static int call_agent(const struct ghostctl_cmd *cmd, const char *req,
		      char **reply, int timeout_ms)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char status[16], why[1024];
	int ret;

	*reply = NULL;
	ret = ghost_agent_sock_path(cmd->id, path, sizeof(path));
	if (!ret)
		ret = ghost_agent_request(path, req, reply, REPLY_MAX, timeout_ms);
	/* No socket, or a stale one: maybe there is no enclave either. */
	if ((ret == -ENOENT || ret == -ECONNREFUSED) && no_enclave(cmd->id))
		return ghostctl_fail(-ENOENT, "status", "enclave %u", cmd->id);
	if (ret == -EMSGSIZE)
		return ghostctl_fail(ret, NULL,
				     "the reply of the agent of enclave %u exceeds %d MiB",
				     cmd->id, REPLY_MAX >> 20);
	if (ret)
		return ghostctl_fail(ret, "agent",
				     "cannot reach the agent of enclave %u",
				     cmd->id);
	if (ghost_kv_get(*reply, "status", status, sizeof(status)) ||
	    strcmp(status, "ok")) {
		if (ghost_kv_get(*reply, "error", why, sizeof(why)))
			snprintf(why, sizeof(why), "malformed reply");
		fprintf(stderr, "ghostctl: the agent of enclave %u refused: %s\n",
			cmd->id, why);
		return ghost_kv_get(*reply, "denied", status, sizeof(status)) ?
		       GHOSTCTL_EXIT_FAIL : GHOSTCTL_EXIT_PERM;
	}
	return GHOSTCTL_EXIT_OK;
}

int ghostctl_policy(const struct ghostctl_cmd *cmd)
{
	static char req[8192];
	char path[PATH_MAX], *reply;
	const char *policy = cmd->policy;
	size_t off;
	int i, ret;

	/* The agent runs elsewhere: a relative path must become absolute. */
	if (strchr(policy, '/')) {
		if (!realpath(policy, path))
			return ghostctl_fail(-errno, NULL, "cannot read policy %s",
					     policy);
		policy = path;
	}
	off = snprintf(req, sizeof(req), "swap\npolicy %s\n%s", policy,
		       cmd->rediscover ? "handover discover\n" : "");
	for (i = 0; i < cmd->nr_opts && off < sizeof(req); i++)
		off += snprintf(req + off, sizeof(req) - off, "opt %s\n",
				cmd->opts[i]);
	if (off >= sizeof(req))
		return ghostctl_fail(-E2BIG, NULL,
				     "cannot swap to %s: its name and options exceed %zu bytes",
				     cmd->policy, sizeof(req));
	ret = call_agent(cmd, req, &reply, SWAP_MS);
	if (!ret)
		ghostctl_print_swap(stdout, cmd->id, reply, cmd->json);
	free(reply);
	return ret;
}

int ghostctl_status(const struct ghostctl_cmd *cmd)
{
	char *reply;
	int ret;

	ret = call_agent(cmd, cmd->threads ? "threads\n" : "status\n", &reply,
			 STATUS_MS);
	if (!ret && cmd->threads)
		ghostctl_print_threads(stdout, reply, cmd->json);
	else if (!ret)
		ghostctl_print_status(stdout, reply, cmd->json);
	free(reply);
	return ret;
}
