// SPDX-License-Identifier: GPL-2.0
/*
 * Glue for the learned VA->PA index (src/vindex/): the misc device /dev/learned_os_vindex,
 * an MMU notifier on a registered process's mm, and the exact page-table walk. 6.12's Rust
 * has none of these. No policy lives here: the fops, the notifier and the walk hand
 * everything to the Rust callbacks in struct lo_vindex_ops.
 *
 * Why the walk stays in C: it is the GUP-fast pattern (pgdp_get() ... ptep_get_lockless(),
 * pmd_leaf(), pud_leaf(), with interrupts off), all per-architecture static inlines and
 * macros that bindgen does not turn into callable functions; a Rust walk would need one C
 * helper per level and per accessor, and would still be x86-64's alone.
 */
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "learned_os_shim.h"
#include "vindex_uapi.h"

/* A registered device: the misc device, and the callbacks its files call with @ctx. */
struct lo_vindex_device {
	struct miscdevice misc;
	const struct lo_vindex_ops *ops;
	const void *ctx;
};

/* An open file of a device (its private_data): its session and its device's callbacks. */
struct lo_vindex_file {
	const struct lo_vindex_ops *ops;
	void *session;
};

struct lo_vindex_mm {
	struct mmu_notifier mn;
	struct mm_struct *mm;
	const struct lo_vindex_ops *ops;
	const void *session;
};

/* ---- The MMU notifier: every callback goes to Rust with the session. ---- */

static int lo_vindex_invalidate_start(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range)
{
	struct lo_vindex_mm *m = container_of(mn, struct lo_vindex_mm, mn);

	/* Never fails, so the paired invalidate_range_end() always follows. */
	m->ops->invalidate_start(m->session, range->start, range->end);
	return 0;
}

static void lo_vindex_invalidate_end(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct lo_vindex_mm *m = container_of(mn, struct lo_vindex_mm, mn);

	m->ops->invalidate_end(m->session, range->start, range->end);
}

static void lo_vindex_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct lo_vindex_mm *m = container_of(mn, struct lo_vindex_mm, mn);

	m->ops->release(m->session);
}

static const struct mmu_notifier_ops lo_vindex_mn_ops = {
	.invalidate_range_start = lo_vindex_invalidate_start,
	.invalidate_range_end = lo_vindex_invalidate_end,
	.release = lo_vindex_release,
};

/*
 * Registers a notifier for @session on the mm of process @pid (in the caller's pid
 * namespace), for the caller of an ioctl on @file. The rule is /proc/PID/pagemap's, checked
 * here, at registration, against the caller and the file (the fd may have been passed on
 * since it was opened): @file's opener must have CAP_SYS_ADMIN (the answers are frames),
 * and the caller must pass the ptrace check on the target, PTRACE_MODE_READ_FSCREDS, under
 * the target's exec_update_lock so that no setuid exec slips in between (mm_access(); a
 * process may always register itself). The notifier's callbacks may run from the moment
 * this returns until lo_vindex_mm_unregister() returns.
 * @file is a file of the device (an ioctl's), whose callbacks the notifier calls.
 * -EPERM: the opener lacks CAP_SYS_ADMIN. -ESRCH: no such process, or no mm (a kernel
 * thread, an exiting process). -EACCES: the ptrace check refused (another user's process, a
 * non-dumpable one without CAP_SYS_PTRACE, an LSM's veto). -EINTR: a fatal signal.
 */
int lo_vindex_mm_register(struct file *file, s32 pid, const void *session,
			  struct lo_vindex_mm **out)
{
	struct task_struct *task;
	struct lo_vindex_mm *m;
	struct mm_struct *mm;
	struct pid *p;
	int err;

	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	p = find_get_pid(pid);
	if (!p)
		return -ESRCH;
	task = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	if (!task)
		return -ESRCH;
	mm = mm_access(task, PTRACE_MODE_READ_FSCREDS);
	put_task_struct(task);
	if (IS_ERR(mm))
		return PTR_ERR(mm);

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		mmput(mm);
		return -ENOMEM;
	}
	m->mn.ops = &lo_vindex_mn_ops;
	m->mm = mm;
	m->ops = ((const struct lo_vindex_file *)file->private_data)->ops;
	m->session = session;
	err = mmu_notifier_register(&m->mn, mm);
	if (err) {
		kfree(m);
		mmput(mm);
		return err;
	}
	/* Keep the mm_struct (not the address space) until unregistering. */
	mmgrab(mm);
	mmput(mm);
	*out = m;
	return 0;
}

/* Unregisters: no callback runs once this returns (the release runs first if still due). */
void lo_vindex_mm_unregister(struct lo_vindex_mm *m)
{
	struct mm_struct *mm = m->mm;

	mmu_notifier_unregister(&m->mn, mm);
	mmdrop(mm);
	kfree(m);
}

/* Pins the address space for a walk; false once the process has exited. May not fail twice. */
bool lo_vindex_mm_enter(struct lo_vindex_mm *m)
{
	return mmget_not_zero(m->mm);
}

/* Ends lo_vindex_mm_enter(). May sleep (it may be the last user). */
void lo_vindex_mm_exit(struct lo_vindex_mm *m)
{
	mmput(m->mm);
}

/*
 * Takes the mm's mmap lock for reading, for walks: page tables under a VMA are then not freed
 * (munmap detaches the VMAs before it frees their tables). Needs lo_vindex_mm_enter(); -EINTR
 * on a fatal signal. The caller must not fault on this mm while holding it.
 */
int lo_vindex_mm_lock(struct lo_vindex_mm *m)
{
	return mmap_read_lock_killable(m->mm);
}

void lo_vindex_mm_unlock(struct lo_vindex_mm *m)
{
	mmap_read_unlock(m->mm);
}

/* ---- The exact walk. ---- */

static u64 lo_vindex_pte(struct mm_struct *mm, unsigned long addr, unsigned long *pages);

/* The pages from @addr to the next @size boundary (a power of two), within user space. */
static unsigned long lo_vindex_pages_to(unsigned long addr, unsigned long size)
{
	unsigned long next = (addr + size) & ~(size - 1);

	return (min(next, TASK_SIZE_MAX) - addr) >> PAGE_SHIFT;
}

/*
 * The frame of the page at @addr, as /proc/PID/pagemap reports it: none outside a VMA, else
 * what the page tables map. Needs lo_vindex_mm_lock(), which keeps the tables of every VMA;
 * the entries are read with interrupts off (an RCU read side, as GUP-fast does), which also
 * covers PTE tables that khugepaged frees (RCU-deferred) under the read lock. Sets *@pages to
 * the pages from @addr to the end of the leaf entry that maps it (or of the hole around it),
 * at least 1. Returns the frame, or LO_VINDEX_NOT_PRESENT.
 */
static u64 lo_vindex_leaf(struct mm_struct *mm, unsigned long addr, unsigned long *pages)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (!vma) {
		*pages = (TASK_SIZE_MAX - addr) >> PAGE_SHIFT;
		return LO_VINDEX_NOT_PRESENT;
	}
	if (addr < vma->vm_start) {
		*pages = (vma->vm_start - addr) >> PAGE_SHIFT;
		return LO_VINDEX_NOT_PRESENT;
	}
	return lo_vindex_pte(mm, addr, pages);
}

static u64 lo_vindex_pte(struct mm_struct *mm, unsigned long addr, unsigned long *pages)
{
	unsigned long flags;
	pgd_t *pgdp, pgd;
	p4d_t *p4dp, p4d;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	pte_t pte;
	u64 pfn = LO_VINDEX_NOT_PRESENT;

	*pages = 1;
	local_irq_save(flags);
	pgdp = pgd_offset(mm, addr);
	pgd = READ_ONCE(*pgdp);
	if (pgd_none(pgd) || pgd_bad(pgd)) {
		*pages = lo_vindex_pages_to(addr, PGDIR_SIZE);
		goto out;
	}
	p4dp = p4d_offset_lockless(pgdp, pgd, addr);
	p4d = READ_ONCE(*p4dp);
	if (!p4d_present(p4d) || p4d_bad(p4d)) {
		*pages = lo_vindex_pages_to(addr, P4D_SIZE);
		goto out;
	}
	pudp = pud_offset_lockless(p4dp, p4d, addr);
	pud = READ_ONCE(*pudp);
	if (!pud_present(pud)) {
		*pages = lo_vindex_pages_to(addr, PUD_SIZE);
		goto out;
	}
	if (pud_leaf(pud)) {
		*pages = lo_vindex_pages_to(addr, PUD_SIZE);
		pfn = pud_pfn(pud) + ((addr & ~PUD_MASK) >> PAGE_SHIFT);
		goto out;
	}
	if (pud_bad(pud))
		goto out;
	pmdp = pmd_offset_lockless(pudp, pud, addr);
	pmd = pmdp_get_lockless(pmdp);
	if (!pmd_present(pmd)) {
		*pages = lo_vindex_pages_to(addr, PMD_SIZE);
		goto out;
	}
	if (pmd_leaf(pmd)) {
		*pages = lo_vindex_pages_to(addr, PMD_SIZE);
		pfn = pmd_pfn(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
		goto out;
	}
	if (pmd_bad(pmd))
		goto out;
	/* The PTE table of the PMD value read above (no HIGHPTE on x86-64). */
	pte = ptep_get_lockless(pte_offset_kernel(&pmd, addr));
	if (pte_present(pte))
		pfn = pte_pfn(pte);
out:
	local_irq_restore(flags);
	if (!*pages)
		*pages = 1;
	return pfn;
}

/*
 * Calls @page(@ctx, vpn, pfn, nr) for every present stretch of [@start, @end) (page
 * aligned), in address order: pages vpn..vpn+nr map to frames pfn..pfn+nr (nr > 1 only
 * inside a huge mapping). Stops at the first nonzero return and returns it. Needs
 * lo_vindex_mm_lock(). Process context: it reschedules between page tables, and returns
 * -EINTR on a fatal signal.
 */
int lo_vindex_walk(struct lo_vindex_mm *m, u64 start, u64 end, lo_vindex_page_t page,
		   void *ctx)
{
	unsigned long addr = start, pages;
	int err;
	u64 pfn;

	end = min_t(u64, end, TASK_SIZE_MAX);
	while (addr < end) {
		pfn = lo_vindex_leaf(m->mm, addr, &pages);
		pages = min_t(u64, pages, (end - addr) >> PAGE_SHIFT);
		if (!pages)
			break;	/* an unaligned end: its partial page is not walked */
		if (pfn != LO_VINDEX_NOT_PRESENT) {
			err = page(ctx, addr >> PAGE_SHIFT, pfn, pages);
			if (err)
				return err;
		}
		addr += pages << PAGE_SHIFT;
		if (!(addr & ~PMD_MASK)) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/* The frame of the page at @addr, or LO_VINDEX_NOT_PRESENT. Needs lo_vindex_mm_lock(). */
u64 lo_vindex_translate_one(struct lo_vindex_mm *m, u64 addr)
{
	unsigned long pages;

	if (addr >= TASK_SIZE_MAX)
		return LO_VINDEX_NOT_PRESENT;
	return lo_vindex_leaf(m->mm, addr, &pages);
}

/* ---- The misc device. ---- */

static int lo_vindex_open(struct inode *inode, struct file *file)
{
	/* misc_open() set private_data to our miscdevice. */
	struct lo_vindex_device *d = container_of(file->private_data, struct lo_vindex_device, misc);
	struct lo_vindex_file *f;
	int err;

	/* Frame numbers are for CAP_SYS_ADMIN only, as in /proc/PID/pagemap. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->ops = d->ops;
	err = d->ops->open(d->ctx, &f->session);
	if (err) {
		kfree(f);
		return err;
	}
	file->private_data = f;
	return 0;
}

static int lo_vindex_file_release(struct inode *inode, struct file *file)
{
	struct lo_vindex_file *f = file->private_data;

	f->ops->close(f->session);
	kfree(f);
	return 0;
}

static long lo_vindex_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct lo_vindex_file *f = file->private_data;
	const struct lo_vindex_ops *ops = f->ops;
	void __user *uarg = (void __user *)arg;
	const void *s = f->session;
	long err;

	switch (cmd) {
	case LO_VINDEX_REGISTER: {
		struct lo_vindex_register reg;

		if (copy_from_user(&reg, uarg, sizeof(reg)))
			return -EFAULT;
		return ops->register_range(s, &reg, file);
	}
	case LO_VINDEX_TRANSLATE: {
		struct lo_vindex_translate tr;

		if (copy_from_user(&tr, uarg, sizeof(tr)))
			return -EFAULT;
		err = ops->translate(s, &tr);
		if (err)
			return err;
		return copy_to_user(uarg, &tr, sizeof(tr)) ? -EFAULT : 0;
	}
	case LO_VINDEX_STATS: {
		struct lo_vindex_stats st = {};

		err = ops->stats(s, &st);
		if (err)
			return err;
		return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
	}
	case LO_VINDEX_UNREGISTER:
		return ops->unregister(s);
	default:
		return ops->bad_ioctl(s, cmd);
	}
}

static const struct file_operations lo_vindex_fops = {
	.owner = THIS_MODULE,
	.open = lo_vindex_open,
	.release = lo_vindex_file_release,
	.unlocked_ioctl = lo_vindex_ioctl,
	/*
	 * No .compat_ioctl: 32-bit callers get ENOTTY for every command. Our kernels have no
	 * IA32_EMULATION (so nothing could test a compat path), and the ABI is defined for
	 * 64-bit callers only (vindex_uapi.h).
	 */
};

/*
 * Creates /dev/learned_os_vindex, whose files call @ops with @ctx; *@out is the device for
 * lo_vindex_device_deregister(). -EBUSY if the name is taken (a second registration).
 */
int lo_vindex_device_register(const struct lo_vindex_ops *ops, const void *ctx,
			      struct lo_vindex_device **out)
{
	struct lo_vindex_device *d;
	int err;

	BUILD_BUG_ON(sizeof(struct lo_vindex_register) != 24);
	BUILD_BUG_ON(sizeof(struct lo_vindex_translate) != 64);
	BUILD_BUG_ON(sizeof(struct lo_vindex_stats) != 112);
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->misc.minor = MISC_DYNAMIC_MINOR;
	d->misc.name = "learned_os_vindex";
	d->misc.fops = &lo_vindex_fops;
	d->misc.mode = 0600;
	d->ops = ops;
	d->ctx = ctx;
	err = misc_register(&d->misc);
	if (err) {
		kfree(d);
		return err;
	}
	*out = d;
	return 0;
}

/* Removes the device. Open files keep the module (fops.owner), so none is left. */
void lo_vindex_device_deregister(struct lo_vindex_device *d)
{
	misc_deregister(&d->misc);
	kfree(d);
}
