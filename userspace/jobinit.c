// SPDX-License-Identifier: GPL-2.0
/*
 * kjumpctl as the job initramfs's /init (a symlink the hook makes).
 *
 * B saving an image, and D restoring one, need /proc, /sys, /dev, their
 * storage drivers, the kjump module and kjumpctl: nothing else.
 * initramfs-tools' /init gets there through a dozen shell scripts, and
 * every process it starts is a fork and an exec: 1.5 s of a job kernel's
 * boot under emulation.  Here it is three mounts and one modprobe; B binds
 * what it loads to the image disk's PCI devices only (kj_pci_hold).
 *
 * Anything else (a dump, whose agent needs udev; a D whose drivers are not
 * named on its command line) and any failure on the way goes to
 * initramfs-tools' own /init, kept as /init.initramfs-tools, which then
 * does exactly what it did before this existed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kjumpctl.h"

#define KJ_JOB_CONF	"/kjump/hibernate.conf"
#define KJ_REAL_INIT	"/init.initramfs-tools"
#define KJ_MAX_MODS	32

static const struct {
	const char *src, *dir, *type;
	unsigned long flags;
	const char *data;
} kj_mounts[] = {
	{ "proc", "/proc", "proc", MS_NODEV | MS_NOEXEC | MS_NOSUID, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NODEV | MS_NOEXEC | MS_NOSUID, NULL },
	{ "udev", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
};

static void kj_unmount_all(void)
{
	int i;

	for (i = (int)(sizeof(kj_mounts) / sizeof(kj_mounts[0])) - 1; i >= 0; i--)
		umount2(kj_mounts[i].dir, MNT_DETACH);
}

static int kj_mount_all(void)
{
	size_t i;

	for (i = 0; i < sizeof(kj_mounts) / sizeof(kj_mounts[0]); i++) {
		mkdir(kj_mounts[i].dir, 0755);
		if (mount(kj_mounts[i].src, kj_mounts[i].dir, kj_mounts[i].type,
			  kj_mounts[i].flags, kj_mounts[i].data) && errno != EBUSY) {
			fprintf(stderr, "kjump: cannot mount %s: %s\n", kj_mounts[i].dir,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* NAME into argv[*n] unless it is there already; -E2BIG: too many. */
static int kj_push_mod(char *name, char **argv, int *n)
{
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(argv[i], name))
			return 0;
	if (*n == KJ_MAX_MODS)
		return -E2BIG;
	argv[(*n)++] = name;
	return 0;
}

/* Split LIST at SEP into argv; the strings stay in LIST. */
static int kj_add_mods(char *list, const char *sep, char **argv, int *n)
{
	char *save, *m;
	int ret = 0;

	for (m = strtok_r(list, sep, &save); m && !ret; m = strtok_r(NULL, sep, &save))
		ret = kj_push_mod(m, argv, n);
	return ret;
}

/*
 * kjump.conf's JOB_MODULES, which kjump-mkinitrd writes to /conf/modules
 * and initramfs-tools' /init loads first: one name a line.  A line with
 * module options cannot go into one modprobe -a: -EINVAL, and
 * initramfs-tools' /init loads them instead.
 */
static int kj_initramfs_mods(char *buf, size_t len, char **argv, int *n)
{
	FILE *f = fopen("/conf/modules", "re");
	size_t used = 0;
	char line[256];
	int ret = 0;

	if (!f)
		return 0;
	while (!ret && fgets(line, sizeof(line), f)) {
		char *m = line + strspn(line, " \t"), *end;
		size_t l;

		m[strcspn(m, "#\n")] = 0;
		end = m + strlen(m);
		while (end > m && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = 0;
		l = strlen(m);
		if (!l)
			continue;
		if (strpbrk(m, " \t"))
			ret = -EINVAL;
		else if (used + l + 1 > len)
			ret = -E2BIG;
		if (ret)
			break;
		memcpy(buf + used, m, l + 1);
		ret = kj_push_mod(buf + used, argv, n);
		used += l + 1;
	}
	fclose(f);
	return ret;
}

/* What B binds its drivers to: pci= of hibernate.conf. */
struct kj_job_disk {
	char pci[256];
};

/* B's drivers: the modules= lines kjumpctl hibernate wrote. */
static int kj_conf_mods(char *buf, size_t len, char **argv, int *n, struct kj_job_disk *d)
{
	FILE *f = fopen(KJ_JOB_CONF, "re");
	size_t used = 0;
	char line[512];
	int ret = 0;

	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		size_t l;

		if (!strncmp(line, "pci=", 4)) {
			size_t pl = strcspn(line + 4, "\n");

			while (pl && line[4 + pl - 1] == ' ')
				pl--;
			snprintf(d->pci, sizeof(d->pci), "%.*s", (int)pl, line + 4);
		}
		if (strncmp(line, "modules=", 8))
			continue;
		l = strlen(line + 8);
		if (used + l + 1 > len) {
			ret = -E2BIG;
			break;
		}
		memcpy(buf + used, line + 8, l + 1);
		ret = kj_add_mods(buf + used, " \t\n", argv, n);
		used += l + 1;
	}
	fclose(f);
	return ret;
}

/* Init's 0, 1 and 2 are the console, if the kernel could open it. */
static void kj_stdio(void)
{
	int fd;

	while (fcntl(0, F_GETFD) < 0 || fcntl(1, F_GETFD) < 0 || fcntl(2, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR);
		if (fd < 0)
			fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return;
		if (fd > 2) {
			close(fd);
			return;
		}
	}
}

/* Loaded already (A appended it, jobinit loaded it): no modprobe for it. */
static int kj_mod_loaded(const char *name)
{
	char path[128], *p;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	for (p = path + strlen("/sys/module/"); *p; p++)
		if (*p == '-')
			*p = '_';
	return !access(path, F_OK);
}

/* One modprobe for all of them: kjump first, then the job's drivers. */
static int kj_modprobe(char **mods, int n)
{
	char *argv[KJ_MAX_MODS + 6];
	int i, k = 0, status;
	pid_t pid;

	argv[k++] = "modprobe";
	argv[k++] = "-a";
	argv[k++] = "-b";
	argv[k++] = "kjump";
	for (i = 0; i < n; i++)
		if (!kj_mod_loaded(mods[i]))
			argv[k++] = mods[i];
	argv[k] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		execvp("modprobe", argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

#define KJ_PCI_AUTOPROBE	"/sys/bus/pci/drivers_autoprobe"
#define KJ_PCI_PROBE		"/sys/bus/pci/drivers_probe"

/*
 * B binds the drivers it loads to the image disk's PCI devices only:
 * another controller of the same driver, or a virtio NIC beside a virtio
 * disk, costs B its probe (0.13 s each under TCG, mostly the ACPI
 * interrupt link) and would spare A nothing.  Before modprobe: off.
 */
static int kj_pci_hold(const struct kj_job_disk *d)
{
	return *d->pci && !kj_write_str(KJ_PCI_AUTOPROBE, "0");
}

/*
 * After modprobe: those devices, then the default back.  If the disk is
 * not behind them after all, save-image probes every device (disk.c).
 */
static void kj_pci_bind(const struct kj_job_disk *d)
{
	char list[sizeof(d->pci)], *save, *a;

	snprintf(list, sizeof(list), "%s", d->pci);
	for (a = strtok_r(list, " ", &save); a; a = strtok_r(NULL, " ", &save))
		kj_write_str(KJ_PCI_PROBE, a);
	kj_write_str(KJ_PCI_AUTOPROBE, "1");
}

static int kj_real_init(char **argv, const char *why)
{
	if (why)
		fprintf(stderr, "kjump: %s; starting initramfs-tools' init\n", why);
	kj_unmount_all();
	argv[0] = KJ_REAL_INIT;
	execv(KJ_REAL_INIT, argv);
	fprintf(stderr, "kjump: cannot start %s: %s\n", KJ_REAL_INIT, strerror(errno));
	return 1;
}

int kj_job_init(int argc, char **argv)
{
	char modbuf[1024], confbuf[1024], *mods[KJ_MAX_MODS], *job[3];
	struct kj_job_disk disk = { .pci = "" };
	int n = 0, save, ret, held = 0, appended;
	double t;

	(void)argc;
	/* The kernel starts init with no PATH. */
	setenv("PATH", "/sbin:/usr/sbin:/bin:/usr/bin", 1);
	if (kj_mount_all())
		return kj_real_init(argv, "the job's filesystems cannot be mounted");
	kj_stdio();
	save = !access(KJ_JOB_CONF, F_OK);
	if (save) {
		ret = kj_conf_mods(modbuf, sizeof(modbuf), mods, &n, &disk);
	} else if (kj_cmdline_value("kjump.restore", modbuf, sizeof(modbuf)) &&
		   kj_cmdline_value("kjump.modules", modbuf, sizeof(modbuf))) {
		ret = kj_add_mods(modbuf, ",", mods, &n);
	} else {
		/* A dump, or a D that needs udev to find its drivers. */
		return kj_real_init(argv, NULL);
	}
	if (!ret)
		ret = kj_initramfs_mods(confbuf, sizeof(confbuf), mods, &n);
	if (ret == -EINVAL)
		return kj_real_init(argv, "/conf/modules gives module options");
	if (ret)
		return kj_real_init(argv, ret == -E2BIG ? "too many modules for one modprobe" :
				    "cannot read " KJ_JOB_CONF);
	t = kj_mono();
	held = kj_pci_hold(&disk);
	/* The disk's drivers A appended, whatever this initramfs holds. */
	appended = kj_job_modules_load();
	ret = kj_modprobe(mods, n);
	if (held)
		kj_pci_bind(&disk);
	if (ret)
		return kj_real_init(argv, "modprobe failed");
	fprintf(stderr, "kjump: %s: kjump and %d driver%s loaded in %.2f s (%d from A)\n",
		save ? "B" : "D", n, n == 1 ? "" : "s", kj_mono() - t, appended);
	job[0] = save ? "save-image" : "restore-image";
	job[1] = save ? KJ_JOB_CONF : NULL;
	job[2] = NULL;
	return save ? cmd_save_image(2, job) : cmd_restore_image(1, job);
}
