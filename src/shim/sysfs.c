// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs directories and files whose show/store are implemented in Rust.
 *
 * A directory is a kobject; each file is a dynamically allocated attribute (or binary
 * attribute, for files written in chunks at offsets) carrying the file id the Rust callbacks
 * dispatch on. Removing a directory (kobject_del) drains every
 * show/store in flight and refuses new ones, so after lo_sysfs_dir_destroy() returns no
 * callback runs and the Rust context may be freed.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "learned_os_shim.h"

struct lo_sysfs_file {
	struct attribute attr;
	u32 file_id;
	struct lo_sysfs_file *next;
};

struct lo_sysfs_bin_file {
	struct bin_attribute attr;
	u32 file_id;
	struct lo_sysfs_bin_file *next;
};

struct lo_sysfs_dir {
	struct kobject kobj;
	const void *ctx;
	u32 dir_id;
	lo_sysfs_show_t show;
	lo_sysfs_store_t store;
	lo_sysfs_write_bin_t write_bin;
	struct lo_sysfs_file *files;
	struct lo_sysfs_bin_file *bin_files;
};

static ssize_t lo_sysfs_attr_show(struct kobject *kobj, struct attribute *attr, char *buf)
{
	struct lo_sysfs_dir *dir = container_of(kobj, struct lo_sysfs_dir, kobj);
	struct lo_sysfs_file *file = container_of(attr, struct lo_sysfs_file, attr);

	return dir->show(dir->ctx, dir->dir_id, file->file_id, buf, PAGE_SIZE);
}

static ssize_t lo_sysfs_attr_store(struct kobject *kobj, struct attribute *attr,
				   const char *buf, size_t len)
{
	struct lo_sysfs_dir *dir = container_of(kobj, struct lo_sysfs_dir, kobj);
	struct lo_sysfs_file *file = container_of(attr, struct lo_sysfs_file, attr);

	return dir->store(dir->ctx, dir->dir_id, file->file_id, buf, len);
}

static ssize_t lo_sysfs_bin_write(struct file *filp, struct kobject *kobj,
				  struct bin_attribute *attr, char *buf, loff_t off,
				  size_t len)
{
	struct lo_sysfs_dir *dir = container_of(kobj, struct lo_sysfs_dir, kobj);
	struct lo_sysfs_bin_file *file = container_of(attr, struct lo_sysfs_bin_file, attr);

	return dir->write_bin(dir->ctx, dir->dir_id, file->file_id, filp, buf, off, len);
}

static const struct sysfs_ops lo_sysfs_ops = {
	.show = lo_sysfs_attr_show,
	.store = lo_sysfs_attr_store,
};

static void lo_sysfs_release(struct kobject *kobj)
{
	struct lo_sysfs_dir *dir = container_of(kobj, struct lo_sysfs_dir, kobj);

	while (dir->files) {
		struct lo_sysfs_file *next = dir->files->next;

		kfree(dir->files);
		dir->files = next;
	}
	while (dir->bin_files) {
		struct lo_sysfs_bin_file *next = dir->bin_files->next;

		kfree(dir->bin_files);
		dir->bin_files = next;
	}
	kfree(dir);
}

static const struct kobj_type lo_sysfs_ktype = {
	.release = lo_sysfs_release,
	.sysfs_ops = &lo_sysfs_ops,
};

/* Creates @name under @parent, or under /sys/kernel when @parent is NULL. */
int lo_sysfs_dir_create(struct lo_sysfs_dir *parent, const char *name, const void *ctx,
			u32 dir_id, lo_sysfs_show_t show, lo_sysfs_store_t store,
			lo_sysfs_write_bin_t write_bin, struct lo_sysfs_dir **out)
{
	struct lo_sysfs_dir *dir;
	int ret;

	dir = kzalloc(sizeof(*dir), GFP_KERNEL);
	if (!dir)
		return -ENOMEM;
	dir->ctx = ctx;
	dir->dir_id = dir_id;
	dir->show = show;
	dir->store = store;
	dir->write_bin = write_bin;
	ret = kobject_init_and_add(&dir->kobj, &lo_sysfs_ktype,
				   parent ? &parent->kobj : kernel_kobj, "%s", name);
	if (ret) {
		kobject_put(&dir->kobj);
		return ret;
	}
	*out = dir;
	return 0;
}

/* Adds a file; @name must outlive @dir. */
int lo_sysfs_file_create(struct lo_sysfs_dir *dir, const char *name, umode_t mode,
			 u32 file_id)
{
	struct lo_sysfs_file *file;
	int ret;

	file = kzalloc(sizeof(*file), GFP_KERNEL);
	if (!file)
		return -ENOMEM;
	sysfs_attr_init(&file->attr);
	file->attr.name = name;
	file->attr.mode = mode;
	file->file_id = file_id;
	ret = sysfs_create_file(&dir->kobj, &file->attr);
	if (ret) {
		kfree(file);
		return ret;
	}
	file->next = dir->files;
	dir->files = file;
	return 0;
}

/* Adds a write-only binary file of unbounded size; @name must outlive @dir. */
int lo_sysfs_bin_file_create(struct lo_sysfs_dir *dir, const char *name, umode_t mode,
			     u32 file_id)
{
	struct lo_sysfs_bin_file *file;
	int ret;

	file = kzalloc(sizeof(*file), GFP_KERNEL);
	if (!file)
		return -ENOMEM;
	sysfs_bin_attr_init(&file->attr);
	file->attr.attr.name = name;
	file->attr.attr.mode = mode;
	file->attr.write = lo_sysfs_bin_write;
	file->file_id = file_id;
	ret = sysfs_create_bin_file(&dir->kobj, &file->attr);
	if (ret) {
		kfree(file);
		return ret;
	}
	file->next = dir->bin_files;
	dir->bin_files = file;
	return 0;
}

/* Takes a reference on @filp, the open file a binary write came through. */
void lo_sysfs_file_get(struct file *filp)
{
	get_file(filp);
}

/* Drops a reference taken by lo_sysfs_file_get(). */
void lo_sysfs_file_put(struct file *filp)
{
	fput(filp);
}

/*
 * Whether @filp has references besides the caller's own: false once every descriptor of it is
 * closed (sysfs gives a binary file no release callback to say so).
 */
bool lo_sysfs_file_shared(struct file *filp)
{
	return file_count(filp) > 1;
}

/* Removes @dir and its files; returns once no callback on them is running. */
void lo_sysfs_dir_destroy(struct lo_sysfs_dir *dir)
{
	kobject_del(&dir->kobj);
	kobject_put(&dir->kobj);
}
