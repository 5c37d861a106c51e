// SPDX-License-Identifier: GPL-2.0
/*
 * ghostctl: the enclave and version commands.  Each checks privileges,
 * then brings ghost up (module, mount, ABI), then acts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define MSG_LEN		1024
#define MAX_LISTED	4096

/*
 * Report that @op failed with @err, as "ghostctl: <what>: <errno text>
 * (<hint>)", and return the matching exit status.
 */
int ghostctl_fail(int err, const char *op, const char *fmt, ...)
{
	char what[512], msg[MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ghostctl_errmsg(msg, sizeof(msg), what, err, op);
	fprintf(stderr, "ghostctl: %s\n", msg);
	return ghostctl_exit_code(err);
}

int ghostctl_prepare(const char *action)
{
	char msg[MSG_LEN];
	int ret;

	if (action) {
		ret = ghost_require_cap(GHOST_CAP_SYS_ADMIN, action, msg,
					sizeof(msg));
		if (ret) {
			fprintf(stderr, "ghostctl: %s\n", msg);
			return ret == -EPERM ? GHOSTCTL_EXIT_PERM :
					       GHOSTCTL_EXIT_FAIL;
		}
	}
	ret = ghost_open(msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "ghostctl: %s\n", msg);
		return ret == -EPERM || ret == -EACCES ? GHOSTCTL_EXIT_PERM :
							 GHOSTCTL_EXIT_MODULE;
	}
	return GHOSTCTL_EXIT_OK;
}

/*
 * CPUs @cpus of the new enclave @id belong to other enclaves: say which
 * and whose, so that one knows what to destroy or to leave out.
 */
static int busy_cpus(const struct ghostctl_cmd *cmd, const char *cpus,
		     unsigned int id)
{
	static struct ghost_enclave_status st[GHOST_MAX_ENCLAVES];
	static unsigned int ids[MAX_LISTED];
	char why[MSG_LEN];
	int i, n, nr = 0;

	n = ghost_enclave_list(ids, MAX_LISTED);
	for (i = 0; i < n && i < MAX_LISTED && nr < GHOST_MAX_ENCLAVES; i++)
		if (!ghost_enclave_status(ids[i], &st[nr]))
			nr++;
	/* Gone meanwhile: the generic hint is all there is to say. */
	if (ghostctl_busy_cpus(why, sizeof(why), &cmd->cpus, st, nr, id))
		return ghostctl_fail(-EBUSY, "cpulist", "cannot set CPUs %s of enclave %u",
				     cpus, id);
	fprintf(stderr, "ghostctl: cannot set CPUs %s of enclave %u: %s (%s)\n",
		cpus, id, strerror(EBUSY), why);
	return ghostctl_exit_code(-EBUSY);
}

static int cmd_create(const struct ghostctl_cmd *cmd)
{
	struct ghost_enclave_status st = { .id = cmd->id, .cpus = cmd->cpus };
	char cpus[GHOST_CPULIST_LEN];
	int ret;

	ghost_cpulist_format(&cmd->cpus, cpus, sizeof(cpus));
	/* Two steps so that an error names the step that failed. */
	if (cmd->have_id)
		ret = ghost_enclave_create(st.id, NULL);
	else
		ret = ghost_enclave_create_any(NULL, &st.id);
	if (ret) {
		if (cmd->have_id)
			return ghostctl_fail(ret, "create", "cannot create enclave %u",
				    st.id);
		return ghostctl_fail(ret, "create", "cannot create an enclave");
	}
	ret = ghost_enclave_set_cpus(st.id, &cmd->cpus);
	if (ret) {
		ghost_enclave_destroy(st.id);
		if (ret == -EBUSY)
			return busy_cpus(cmd, cpus, st.id);
		return ghostctl_fail(ret, "cpulist", "cannot set CPUs %s of enclave %u",
			    cpus, st.id);
	}
	ghostctl_print_created(stdout, &st, cmd->json);
	return GHOSTCTL_EXIT_OK;
}

/* An enclave destroyed while we look at it is simply gone. */
static int vanished(int err)
{
	return err == -ENOENT || err == -ENODEV;
}

static int cmd_list(const struct ghostctl_cmd *cmd)
{
	static struct ghost_enclave_status st[GHOST_MAX_ENCLAVES];
	static unsigned int ids[MAX_LISTED];
	int i, n, nr = 0, status = GHOSTCTL_EXIT_OK, ret;

	n = ghost_enclave_list(ids, MAX_LISTED);
	if (n < 0)
		return ghostctl_fail(n, "mount", "cannot list the enclaves in %s",
			    GHOST_FS_PATH);
	for (i = 0; i < n && i < MAX_LISTED && nr < GHOST_MAX_ENCLAVES; i++) {
		ret = ghost_enclave_status(ids[i], &st[nr]);
		if (!ret)
			nr++;
		else if (!vanished(ret))
			status = ghostctl_fail(ret, "status",
				      "cannot read the state of enclave %u",
				      ids[i]);
	}
	ghostctl_print_list(stdout, st, nr, cmd->json);
	return status;
}

static int cmd_show(const struct ghostctl_cmd *cmd)
{
	struct ghost_enclave_status st;
	int ret;

	ret = ghost_enclave_status(cmd->id, &st);
	if (ret)
		return ghostctl_fail(ret, "status", "cannot show enclave %u", cmd->id);
	ghostctl_print_show(stdout, &st, cmd->json);
	return GHOSTCTL_EXIT_OK;
}

static int set_one(unsigned int id, const char *name, unsigned int value)
{
	int ret = ghost_enclave_set_tunable(id, name, value);

	if (ret)
		return ghostctl_fail(ret, "tunable", "cannot set %s of enclave %u to %u",
			    name, id, value);
	return GHOSTCTL_EXIT_OK;
}

static int cmd_set(const struct ghostctl_cmd *cmd)
{
	int ret;

	if (cmd->set & GHOSTCTL_SET_TIMEOUT) {
		ret = set_one(cmd->id, "runnable_timeout",
			      cmd->runnable_timeout_ms);
		if (ret)
			return ret;
	}
	if (cmd->set & GHOSTCTL_SET_TICKS) {
		ret = set_one(cmd->id, "deliver_ticks", cmd->deliver_ticks);
		if (ret)
			return ret;
	}
	ghostctl_print_set(stdout, cmd);
	return GHOSTCTL_EXIT_OK;
}

static int cmd_destroy(const struct ghostctl_cmd *cmd)
{
	static unsigned int ids[MAX_LISTED];
	int i, n = 1, done = 0, status = GHOSTCTL_EXIT_OK, ret;

	if (cmd->all) {
		n = ghost_enclave_list(ids, MAX_LISTED);
		if (n < 0)
			return ghostctl_fail(n, "mount", "cannot list the enclaves in %s",
				    GHOST_FS_PATH);
	} else {
		ids[0] = cmd->id;
	}
	if (cmd->json)
		fputs("{\"destroyed\":[", stdout);
	for (i = 0; i < n && i < MAX_LISTED; i++) {
		ret = ghost_enclave_destroy(ids[i]);
		/* With --all, one that went away meanwhile is no failure. */
		if (ret && cmd->all && vanished(ret))
			continue;
		if (ret) {
			status = ghostctl_fail(ret, "destroy",
				      "cannot destroy enclave %u", ids[i]);
			continue;
		}
		if (cmd->json)
			printf("%s%u", done ? "," : "", ids[i]);
		else
			printf("enclave %u destroyed\n", ids[i]);
		done++;
	}
	if (cmd->json)
		fputs("]}\n", stdout);
	return status;
}

int ghostctl_enclave(const struct ghostctl_cmd *cmd)
{
	static const char *const actions[] = {
		[GHOSTCTL_CREATE]	= "enclave create",
		[GHOSTCTL_SET]		= "enclave set",
		[GHOSTCTL_DESTROY]	= "enclave destroy",
	};
	int ret;

	ret = ghostctl_prepare(actions[cmd->action]);
	if (ret)
		return ret;
	switch (cmd->action) {
	case GHOSTCTL_CREATE:
		return cmd_create(cmd);
	case GHOSTCTL_LIST:
		return cmd_list(cmd);
	case GHOSTCTL_SHOW:
		return cmd_show(cmd);
	case GHOSTCTL_SET:
		return cmd_set(cmd);
	case GHOSTCTL_DESTROY:
		return cmd_destroy(cmd);
	default:
		return GHOSTCTL_EXIT_USAGE;
	}
}

int ghostctl_version(const struct ghostctl_cmd *cmd)
{
	char text[1024];
	int ret, loaded;

	/* Report, never load: the module's ABIs only if it is there. */
	ret = ghost_read_file(GHOST_FS_PATH "/version", text, sizeof(text));
	loaded = ret >= 0 || !access("/sys/module/ghost", F_OK);
	ghostctl_print_version(stdout, ret < 0 ? NULL : text, loaded,
			       cmd->json);
	return GHOSTCTL_EXIT_OK;
}
