/* sys_socket.c - socket calls while no socket can exist: EBADF or ENOTSOCK */
#include <errno.h>
#include <fcntl.h>

#include "kernel/objects.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "syscalls/syscalls.h"

/*
 * What Linux's sockfd_lookup() says of fd when it names no socket: EBADF
 * when it is not open (an O_PATH fd counts as not open: fdget() skips it),
 * ENOTSOCK for any other file, since socket() cannot make one yet.
 */
static long sock_lookup_err(int fd)
{
	struct file *f = fdtab_get(current_proc()->fdt, fd);
	long r;

	if (!f)
		return -EBADF;
	r = (f->oflags & O_PATH) ? -EBADF : -ENOTSOCK;
	file_put(f);
	return r;
}

#define SOCK_STUB(name)                                         \
	long sys_##name(const uint64_t *a)                      \
	{                                                       \
		return sock_lookup_err((int)a[0]);              \
	}

SOCK_STUB(connect)
SOCK_STUB(accept)
SOCK_STUB(accept4)
SOCK_STUB(sendto)
SOCK_STUB(recvfrom)
SOCK_STUB(sendmsg)
SOCK_STUB(recvmsg)
SOCK_STUB(sendmmsg)
SOCK_STUB(recvmmsg)
SOCK_STUB(shutdown)
SOCK_STUB(bind)
SOCK_STUB(listen)
SOCK_STUB(getsockname)
SOCK_STUB(getpeername)
SOCK_STUB(getsockopt)

/* Linux refuses a negative optlen before it looks the fd up */
long sys_setsockopt(const uint64_t *a)
{
	if ((int)a[4] < 0)
		return -EINVAL;
	return sock_lookup_err((int)a[0]);
}
