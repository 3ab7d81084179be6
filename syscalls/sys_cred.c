/* sys_cred.c - user and group ids, groups, capabilities */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include "base/kmalloc.h"
#include "kernel/proc.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

/*
 * Credentials are the guest's own view: files are still accessed with
 * the host user's rights (README). The rules follow setuid(2) & co.
 */

static bool privileged(const struct cred *c)
{
	return c->euid == 0;
}

SYSCALL_DEFINE0(getuid)
{
	return current_proc()->cred.uid;
}

SYSCALL_DEFINE0(geteuid)
{
	return current_proc()->cred.euid;
}

SYSCALL_DEFINE0(getgid)
{
	return current_proc()->cred.gid;
}

SYSCALL_DEFINE0(getegid)
{
	return current_proc()->cred.egid;
}

SYSCALL_DEFINE3(getresuid, unsigned __user *, r, unsigned __user *, e,
		unsigned __user *, s)
{
	struct cred *c = &current_proc()->cred;

	if (copy_to_user(r, &c->uid, 4) || copy_to_user(e, &c->euid, 4) ||
	    copy_to_user(s, &c->suid, 4))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE3(getresgid, unsigned __user *, r, unsigned __user *, e,
		unsigned __user *, s)
{
	struct cred *c = &current_proc()->cred;

	if (copy_to_user(r, &c->gid, 4) || copy_to_user(e, &c->egid, 4) ||
	    copy_to_user(s, &c->sgid, 4))
		return -EFAULT;
	return 0;
}

/* may the caller set an id to @id? (-1 means "unchanged") */
static bool id_ok(const struct cred *c, uint32_t id, uint32_t a, uint32_t b,
		  uint32_t d)
{
	return id == (uint32_t)-1 || privileged(c) || id == a || id == b ||
	       id == d;
}

static long set_res(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t *fs,
		    uint32_t nr, uint32_t ne, uint32_t ns, const struct cred *c)
{
	if (!id_ok(c, nr, *r, *e, *s) || !id_ok(c, ne, *r, *e, *s) ||
	    !id_ok(c, ns, *r, *e, *s))
		return -EPERM;
	if (nr != (uint32_t)-1)
		*r = nr;
	if (ne != (uint32_t)-1)
		*e = ne;
	if (ns != (uint32_t)-1)
		*s = ns;
	*fs = *e;
	return 0;
}

SYSCALL_DEFINE3(setresuid, unsigned, r, unsigned, e, unsigned, s)
{
	struct cred *c = &current_proc()->cred;
	struct cred old = *c;
	long ret =
		set_res(&c->uid, &c->euid, &c->suid, &c->fsuid, r, e, s, &old);

	if (ret == 0 && old.euid == 0 && c->euid != 0)
		c->cap_effective = 0;
	return ret;
}

SYSCALL_DEFINE3(setresgid, unsigned, r, unsigned, e, unsigned, s)
{
	struct cred *c = &current_proc()->cred;
	struct cred old = *c;

	return set_res(&c->gid, &c->egid, &c->sgid, &c->fsgid, r, e, s, &old);
}

SYSCALL_DEFINE1(setuid, unsigned, uid)
{
	struct cred *c = &current_proc()->cred;

	if (privileged(c)) {
		c->uid = c->euid = c->suid = c->fsuid = uid;
		if (uid != 0)
			c->cap_effective = c->cap_permitted = 0;
		return 0;
	}
	if (uid != c->uid && uid != c->suid)
		return -EPERM;
	c->euid = c->fsuid = uid;
	return 0;
}

SYSCALL_DEFINE1(setgid, unsigned, gid)
{
	struct cred *c = &current_proc()->cred;

	if (privileged(c)) {
		c->gid = c->egid = c->sgid = c->fsgid = gid;
		return 0;
	}
	if (gid != c->gid && gid != c->sgid)
		return -EPERM;
	c->egid = c->fsgid = gid;
	return 0;
}

SYSCALL_DEFINE2(setreuid, unsigned, r, unsigned, e)
{
	struct cred *c = &current_proc()->cred;
	uint32_t ns = (uint32_t)-1;

	if (r != (uint32_t)-1 || (e != (uint32_t)-1 && e != c->uid))
		ns = e != (uint32_t)-1 ? e : c->euid;
	if (!privileged(c) &&
	    ((r != (uint32_t)-1 && r != c->uid && r != c->euid) ||
	     (e != (uint32_t)-1 && e != c->uid && e != c->euid &&
	      e != c->suid)))
		return -EPERM;
	if (r != (uint32_t)-1)
		c->uid = r;
	if (e != (uint32_t)-1)
		c->euid = e;
	if (ns != (uint32_t)-1)
		c->suid = ns;
	c->fsuid = c->euid;
	return 0;
}

SYSCALL_DEFINE2(setregid, unsigned, r, unsigned, e)
{
	struct cred *c = &current_proc()->cred;

	if (!privileged(c) &&
	    ((r != (uint32_t)-1 && r != c->gid && r != c->egid) ||
	     (e != (uint32_t)-1 && e != c->gid && e != c->egid &&
	      e != c->sgid)))
		return -EPERM;
	if (r != (uint32_t)-1 || (e != (uint32_t)-1 && e != c->gid))
		c->sgid = e != (uint32_t)-1 ? e : c->egid;
	if (r != (uint32_t)-1)
		c->gid = r;
	if (e != (uint32_t)-1)
		c->egid = e;
	c->fsgid = c->egid;
	return 0;
}

SYSCALL_DEFINE1(setfsuid, unsigned, uid)
{
	struct cred *c = &current_proc()->cred;
	uint32_t old = c->fsuid;

	if (privileged(c) || uid == c->uid || uid == c->euid ||
	    uid == c->suid || uid == c->fsuid)
		c->fsuid = uid;
	return old;
}

SYSCALL_DEFINE1(setfsgid, unsigned, gid)
{
	struct cred *c = &current_proc()->cred;
	uint32_t old = c->fsgid;

	if (privileged(c) || gid == c->gid || gid == c->egid ||
	    gid == c->sgid || gid == c->fsgid)
		c->fsgid = gid;
	return old;
}

SYSCALL_DEFINE2(getgroups, int, size, unsigned __user *, list)
{
	struct cred *c = &current_proc()->cred;

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return c->ngroups;
	if (size < c->ngroups)
		return -EINVAL;
	if (copy_to_user(list, c->groups, (size_t)c->ngroups * 4))
		return -EFAULT;
	return c->ngroups;
}

SYSCALL_DEFINE2(setgroups, int, size, const unsigned __user *, list)
{
	struct cred *c = &current_proc()->cred;
	uint32_t *g = NULL;

	if (!privileged(c))
		return -EPERM;
	if (size < 0 || size > NGROUPS_MAX_LINUX)
		return -EINVAL;
	if (size) {
		g = kmalloc((size_t)size * 4);
		if (!g)
			return -ENOMEM;
		if (copy_from_user(g, list, (size_t)size * 4)) {
			kfree(g);
			return -EFAULT;
		}
	}
	kfree(c->groups);
	c->groups = g;
	c->ngroups = size;
	return 0;
}

SYSCALL_DEFINE2(capget, struct __user_cap_header_struct __user *, uhdr,
		struct __user_cap_data_struct __user *, udata)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct d[2];
	struct cred *c = &current_proc()->cred;
	uint32_t v3 = _LINUX_CAPABILITY_VERSION_3;

	if (copy_from_user(&hdr, uhdr, sizeof(hdr)))
		return -EFAULT;
	if (hdr.version != _LINUX_CAPABILITY_VERSION_1 &&
	    hdr.version != _LINUX_CAPABILITY_VERSION_2 &&
	    hdr.version != _LINUX_CAPABILITY_VERSION_3) {
		if (copy_to_user(&uhdr->version, &v3, 4))
			return -EFAULT;
		return udata ? -EINVAL : 0;
	}
	if (hdr.pid < 0)
		return -EINVAL;
	if (hdr.pid && !proc_find(hdr.pid))
		return -ESRCH;
	if (!udata)
		return 0;
	d[0].effective = (uint32_t)c->cap_effective;
	d[1].effective = (uint32_t)(c->cap_effective >> 32);
	d[0].permitted = (uint32_t)c->cap_permitted;
	d[1].permitted = (uint32_t)(c->cap_permitted >> 32);
	d[0].inheritable = (uint32_t)c->cap_inheritable;
	d[1].inheritable = (uint32_t)(c->cap_inheritable >> 32);
	return copy_to_user(udata, d,
			    hdr.version == _LINUX_CAPABILITY_VERSION_1
				    ? sizeof(d[0])
				    : sizeof(d));
}

SYSCALL_DEFINE2(capset, struct __user_cap_header_struct __user *, uhdr,
		const struct __user_cap_data_struct __user *, udata)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct d[2] = {0};
	struct cred *c = &current_proc()->cred;
	uint64_t eff, perm, inh;

	if (copy_from_user(&hdr, uhdr, sizeof(hdr)))
		return -EFAULT;
	if (hdr.version != _LINUX_CAPABILITY_VERSION_3 &&
	    hdr.version != _LINUX_CAPABILITY_VERSION_2 &&
	    hdr.version != _LINUX_CAPABILITY_VERSION_1)
		return -EINVAL;
	if (hdr.pid && hdr.pid != current_proc()->pid)
		return -EPERM;
	if (copy_from_user(d, udata,
			   hdr.version == _LINUX_CAPABILITY_VERSION_1
				   ? sizeof(d[0])
				   : sizeof(d)))
		return -EFAULT;
	eff = d[0].effective | ((uint64_t)d[1].effective << 32);
	perm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
	inh = d[0].inheritable | ((uint64_t)d[1].inheritable << 32);
	/* capabilities can only be dropped */
	if ((perm & ~c->cap_permitted) || (eff & ~perm))
		return -EPERM;
	c->cap_effective = eff;
	c->cap_permitted = perm;
	c->cap_inheritable = inh;
	return 0;
}
