// SPDX-License-Identifier: GPL-2.0
/*
 * The shared-memory and ioctl layouts of include/uapi/linux/ghost.h, pinned.
 * test/unit/test_abi.c pins the same numbers as user space compiles them:
 * a change here is an ABI change (GHOST_VERSION).
 */
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <uapi/linux/ghost.h>

#define GHOST_SIZE(type, n)	static_assert(sizeof(struct type) == (n))
#define GHOST_OFFSET(type, field, n) \
	static_assert(offsetof(struct type, field) == (n))

GHOST_SIZE(ghost_enclave_info, 64);
GHOST_SIZE(ghost_status_word, 32);
GHOST_SIZE(ghost_cpu_word, 32);
GHOST_OFFSET(ghost_cpu_word, agent_seq, 24);
GHOST_OFFSET(ghost_cpu_word, wanted, 28);
GHOST_SIZE(ghost_sw_region_header, 64);
GHOST_SIZE(ghost_msg, 8);
GHOST_SIZE(ghost_msg_task, 24);
GHOST_SIZE(ghost_msg_task_new, 40);
GHOST_SIZE(ghost_msg_task_priority, 24);
GHOST_SIZE(ghost_msg_task_wakeup, 16);
GHOST_SIZE(ghost_msg_cpu, 8);
GHOST_SIZE(ghost_ring, 64);
GHOST_OFFSET(ghost_ring, msgs, 64);
GHOST_SIZE(ghost_txn, 64);
GHOST_OFFSET(ghost_txn, commit_time, 24);
GHOST_SIZE(ghost_ioc_create_queue, 32);
GHOST_SIZE(ghost_ioc_assoc_queue, 32);
GHOST_OFFSET(ghost_ioc_assoc_queue, status, 20);
GHOST_SIZE(ghost_ioc_queue_wakeup, 32);
GHOST_SIZE(ghost_ioc_commit, 32);
GHOST_SIZE(ghost_ioc_agent, 32);
GHOST_SIZE(ghost_ioc_wait, 24);
GHOST_OFFSET(ghost_ioc_wait, agent_seq, 8);
GHOST_SIZE(ghost_ioc_sw, 16);
GHOST_SIZE(ghost_dispatch_entry, 16);
GHOST_SIZE(ghost_dispatch_list, 576);
GHOST_OFFSET(ghost_dispatch_list, ent, 64);
GHOST_SIZE(ghost_ioc_dispatch, 32);
GHOST_SIZE(ghost_ioc_commit_wait, 56);
GHOST_OFFSET(ghost_ioc_commit_wait, wait, 32);
