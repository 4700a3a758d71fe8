// SPDX-License-Identifier: GPL-2.0
/*
 * lo-priv: runs a command with less privilege, for the privilege kselftest. A static binary
 * for the busybox guest (whose setpriv can neither change uids nor drop capabilities).
 *
 * Usage:
 *   lo-priv uid UID CMD [ARGS]   no supplementary groups, gid and uid UID, then exec CMD
 *   lo-priv nocaps CMD [ARGS]    still uid 0, but with every capability dropped from the
 *                                bounding, ambient, inheritable, permitted and effective
 *                                sets, so that not even exec'ing CMD as root regains one
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "lo-priv: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void drop_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int cap;

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which goes last. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die("PR_CAPBSET_DROP");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die("PR_CAP_AMBIENT_CLEAR_ALL");
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset");
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "uid") == 0) {
		char *end;
		long id = strtol(argv[2], &end, 10);

		if (*end || id < 0)
			return fprintf(stderr, "lo-priv: bad uid %s\n", argv[2]), 2;
		if (setgroups(0, NULL) < 0)
			die("setgroups");
		if (setgid(id) < 0)
			die("setgid");
		if (setuid(id) < 0)
			die("setuid");
		argv += 3;
	} else if (argc >= 3 && strcmp(argv[1], "nocaps") == 0) {
		drop_caps();
		argv += 2;
	} else {
		fprintf(stderr, "usage: lo-priv uid UID CMD [ARGS] | lo-priv nocaps CMD [ARGS]\n");
		return 2;
	}
	execvp(argv[0], argv);
	die(argv[0]);
	return 125;
}
