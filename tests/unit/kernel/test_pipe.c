/* test_pipe.c - pipes: capacity, PIPE_BUF, EOF/EPIPE, packets, blocking */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "kernel/objects.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "sched/sched.h"

#include "helpers.h"

#define CAP (64 * 1024) /* Linux's default pipe size */
#define KADDR ((void *)0xffff800000000000ull) /* not a user address */

static char buf[1 << 20], out[1 << 20];

static long rd(struct file *f, void *b, size_t n)
{
	return f->ops->read(f, b, n, -1);
}

static long wr(struct file *f, const void *b, size_t n)
{
	return f->ops->write(f, b, n, -1);
}

static long fionread(struct file *f)
{
	int n = -1;
	long r = f->ops->ioctl(f, FIONREAD, (unsigned long)&n);

	cr_assert_eq(r, 0);
	return n;
}

static unsigned pollf(struct file *f)
{
	return file_poll(f, NULL);
}

/* byte @i of the test stream */
static char pat(size_t i)
{
	return (char)(i * 7 + i / 251);
}

static void fill(char *b, size_t from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(from + i);
}

/* does @b hold stream bytes [from, from + n)? */
static bool check(const char *b, size_t from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != pat(from + i))
			return false;
	return true;
}

/* ---- without blocking: the calling thread, no scheduler ---- */

static void setup(void)
{
	unit_kthread_setup();
	unit_proc_setup();
	unit_current_setup();
}

static void teardown(void)
{
	unit_kthread_teardown();
}

TestSuite(pipe, .init = setup, .fini = teardown, .timeout = 10);

Test(pipe, default_capacity_and_partial_nonblocking_write)
{
	struct file *r, *w;

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	cr_assert_eq(pipe_get_size(r), CAP);
	cr_assert_eq(pipe_get_size(w), CAP);
	cr_assert_eq(rd(r, out, 10), -EAGAIN, "empty, writers left");
	cr_assert_eq(pollf(w), POLLOUT | POLLWRNORM);
	cr_assert_eq(pollf(r), 0);
	fill(buf, 0, 70000);
	cr_assert_eq(wr(w, buf, 70000), CAP, "as much as fits");
	cr_assert_eq(wr(w, buf, 1), -EAGAIN);
	cr_assert_eq(fionread(r), CAP);
	cr_assert_eq(pollf(w), 0, "full");
	cr_assert_eq(pollf(r), POLLIN | POLLRDNORM);
	cr_assert_eq(rd(r, out, 70000), CAP);
	cr_assert(check(out, 0, CAP));
	cr_assert_eq(rd(r, out, 1), -EAGAIN);
	file_put(r);
	file_put(w);
}

/* a write of up to PIPE_BUF bytes goes in whole or not at all */
Test(pipe, pipe_buf_writes_are_atomic)
{
	struct file *r, *w;
	long n;

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	cr_assert_eq(wr(w, buf, CAP - 4095), CAP - 4095);
	cr_assert_eq(wr(w, buf, 4096), -EAGAIN, "4096 <= PIPE_BUF: no split");
	cr_assert_eq(fionread(r), CAP - 4095, "nothing written");
	cr_assert_eq(pollf(w), 0, "less than PIPE_BUF free: not writable");
	n = wr(w, buf, 5000);
	cr_assert(n > 0 && n <= 4095, "a larger write may be partial: %ld", n);
	file_put(r);
	file_put(w);

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	cr_assert_eq(wr(w, buf, CAP - 4095), CAP - 4095);
	cr_assert_eq(wr(w, buf, 4095), 4095, "fits exactly");
	cr_assert_eq(wr(w, buf, 1), -EAGAIN);
	file_put(r);
	file_put(w);
}

Test(pipe, eof_after_last_writer)
{
	struct file *r, *w;

	cr_assert_eq(pipe_create(0, &r, &w), 0);
	cr_assert_eq(wr(w, "hello", 5), 5);
	file_put(w);
	cr_assert_eq(pollf(r), POLLIN | POLLRDNORM | POLLHUP);
	cr_assert_eq(rd(r, out, 100), 5, "the data first");
	cr_assert_eq(memcmp(out, "hello", 5), 0);
	/* then EOF, without blocking (this thread cannot block) */
	cr_assert_eq(rd(r, out, 100), 0);
	cr_assert_eq(rd(r, out, 100), 0);
	cr_assert_eq(pollf(r), POLLHUP);
	file_put(r);
}

Test(pipe, epipe_after_last_reader)
{
	struct file *r, *w;

	cr_assert_eq(pipe_create(0, &r, &w), 0);
	file_put(r);
	cr_assert_eq(wr(w, "x", 1), -EPIPE);
	cr_assert_eq(wr(w, buf, 100000), -EPIPE);
	cr_assert_eq(pollf(w), POLLOUT | POLLWRNORM | POLLERR);
	file_put(w);
}

Test(pipe, zero_length_and_positioned_io)
{
	struct file *r, *w;

	cr_assert_eq(pipe_create(0, &r, &w), 0);
	/* blocking ends: a zero-length read of an empty pipe returns 0 */
	cr_assert_eq(rd(r, out, 0), 0);
	cr_assert_eq(wr(w, buf, 0), 0);
	cr_assert_eq(fionread(r), 0);
	cr_assert_eq(r->ops->read(r, out, 1, 0), -ESPIPE);
	cr_assert_eq(w->ops->write(w, buf, 1, 0), -ESPIPE);
	cr_assert_eq(r->ops->ioctl(r, 0x5401 /* TCGETS */, 0), -ENOTTY);
	file_put(r);
	file_put(w);
}

Test(pipe, bad_buffers_are_efault)
{
	struct file *r, *w;

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	cr_assert_eq(wr(w, KADDR, 10), -EFAULT);
	cr_assert_eq(fionread(r), 0);
	cr_assert_eq(wr(w, "abc", 3), 3);
	cr_assert_eq(rd(r, KADDR, 3), -EFAULT);
	cr_assert_eq(fionread(r), 3, "nothing consumed");
	cr_assert_eq(rd(r, out, 3), 3);
	cr_assert_eq(memcmp(out, "abc", 3), 0);
	cr_assert_eq(r->ops->ioctl(r, FIONREAD, (unsigned long)KADDR), -EFAULT);
	file_put(r);
	file_put(w);
}

/* F_SETPIPE_SZ: a power of two of pages at least the size asked */
Test(pipe, set_size_rounds_up)
{
	struct file *r, *w;
	struct {
		unsigned long ask;
		long got;
	} c[] = {
		{0, 4096},	    {1, 4096},	    {4096, 4096},
		{4097, 8192},	    {65536, 65536}, {100000, 131072},
		{1 << 20, 1 << 20},
	};

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	for (unsigned i = 0; i < sizeof(c) / sizeof(*c); i++) {
		cr_assert_eq(pipe_set_size(r, c[i].ask), c[i].got, "%lu",
			     c[i].ask);
		cr_assert_eq(pipe_get_size(w), c[i].got);
	}
	/* the new size is the capacity */
	cr_assert_eq(pipe_set_size(w, 8192), 8192);
	cr_assert_eq(wr(w, buf, 10000), 8192);
	file_put(r);
	file_put(w);
}

Test(pipe, set_size_limits)
{
	struct file *r, *w;

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	cr_assert_eq(pipe_set_size(r, (unsigned long)INT32_MAX + 1), -EINVAL);
	current_proc()->cred.euid = 1000;
	cr_assert_eq(pipe_set_size(r, (1 << 20) + 1), -EPERM,
		     "over pipe-max-size needs privilege");
	cr_assert_eq(pipe_get_size(r), CAP);
	current_proc()->cred.euid = 0;
	cr_assert_eq(pipe_set_size(r, (1 << 20) + 1), 2 << 20);
	/* not below what it holds */
	cr_assert_eq(pipe_set_size(r, 4096), 4096);
	cr_assert_eq(wr(w, buf, 3000), 3000);
	cr_assert_eq(pipe_set_size(r, 8192), 8192);
	cr_assert_eq(wr(w, buf, 3000), 3000);
	cr_assert_eq(pipe_set_size(r, 4096), -EBUSY);
	cr_assert_eq(pipe_get_size(r), 8192);
	cr_assert_eq(fionread(r), 6000);
	file_put(r);
	file_put(w);
}

/* resizing a ring whose data wraps keeps the bytes and their order */
Test(pipe, resize_keeps_wrapped_data)
{
	struct file *r, *w;
	size_t in = 0, got = 0;

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	fill(buf, 0, 200000);
	cr_assert_eq(wr(w, buf, 60000), 60000);
	in = 60000;
	cr_assert_eq(rd(r, out, 50000), 50000);
	cr_assert(check(out, 0, 50000));
	got = 50000;
	cr_assert_eq(wr(w, buf + in, 30000), 30000, "wraps around the end");
	in += 30000;
	cr_assert_eq(pipe_set_size(r, 131072), 131072);
	cr_assert_eq(fionread(r), 40000);
	cr_assert_eq(wr(w, buf + in, 100000), 131072 - 40000);
	in += 131072 - 40000;
	cr_assert_eq(rd(r, out, sizeof(out)), 131072);
	cr_assert(check(out, got, 131072), "bytes lost or reordered");
	got += 131072;
	cr_assert_eq(got, in);
	file_put(r);
	file_put(w);
}

/* O_DIRECT: each write is a packet; a read returns at most one */
Test(pipe, packet_mode)
{
	struct file *r, *w;

	cr_assert_eq(pipe_create(O_DIRECT | O_NONBLOCK, &r, &w), 0);
	fill(buf, 0, 10000);
	cr_assert_eq(wr(w, buf, 10), 10);
	cr_assert_eq(wr(w, buf + 10, 20), 20);
	cr_assert_eq(wr(w, buf + 30, 30), 30);
	cr_assert_eq(rd(r, out, 100), 10);
	cr_assert(check(out, 0, 10));
	cr_assert_eq(rd(r, out, 5), 5, "a short read");
	cr_assert(check(out, 10, 5));
	cr_assert_eq(rd(r, out, 100), 30, "the rest of that packet is gone");
	cr_assert(check(out, 30, 30));
	cr_assert_eq(rd(r, out, 100), -EAGAIN);
	/* larger than PIPE_BUF: split into PIPE_BUF packets */
	cr_assert_eq(wr(w, buf, 5000), 5000);
	cr_assert_eq(rd(r, out, 10000), 4096);
	cr_assert(check(out, 0, 4096));
	cr_assert_eq(rd(r, out, 10000), 904);
	cr_assert(check(out, 4096, 904));
	file_put(r);
	file_put(w);
}

Test(pipe, setfl_switches_packet_mode)
{
	struct file *r, *w;

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	cr_assert_eq(w->ops->setfl(w, O_DIRECT | O_NONBLOCK), 0);
	cr_assert(w->oflags & O_DIRECT);
	cr_assert_eq(wr(w, "ab", 2), 2);
	cr_assert_eq(wr(w, "cd", 2), 2);
	cr_assert_eq(rd(r, out, 10), 2);
	cr_assert_eq(memcmp(out, "ab", 2), 0);
	cr_assert_eq(rd(r, out, 10), 2);
	cr_assert_eq(memcmp(out, "cd", 2), 0);
	cr_assert_eq(w->ops->setfl(w, O_NONBLOCK), 0);
	cr_assert_eq(wr(w, "ab", 2), 2);
	cr_assert_eq(wr(w, "cd", 2), 2);
	cr_assert_eq(rd(r, out, 10), 4, "a byte stream again");
	file_put(r);
	file_put(w);
}

Test(pipe, fstat_and_name)
{
	struct file *r, *w, *r2, *w2;
	struct stat a, b, c;
	char name[64], name2[64];

	cr_assert_eq(pipe_create(0, &r, &w), 0);
	cr_assert_eq(pipe_create(0, &r2, &w2), 0);
	cr_assert(file_is_pipe(r) && file_is_pipe(w));
	cr_assert_eq(r->ops->fstat(r, &a), 0);
	cr_assert_eq(w->ops->fstat(w, &b), 0);
	cr_assert_eq(r2->ops->fstat(r2, &c), 0);
	cr_assert(S_ISFIFO(a.st_mode));
	cr_assert_eq(a.st_ino, b.st_ino, "one inode for both ends");
	cr_assert_neq(a.st_ino, c.st_ino);
	cr_assert_gt(file_dpath(r, name, sizeof(name)), 0);
	cr_assert_gt(file_dpath(w, name2, sizeof(name2)), 0);
	cr_assert_str_eq(name, name2);
	cr_assert_eq(strncmp(name, "pipe:[", 6), 0, "%s", name);
	file_put(r);
	file_put(w);
	file_put(r2);
	file_put(w2);
}

/* ---- blocking: uthreads on one kthread ---- */

static void setup_sched(void)
{
	unit_sched_setup(1, true);
}

TestSuite(pipe_block, .init = setup_sched, .timeout = 10);

static struct {
	struct file *r, *w;
	struct thread *t[4];
	long res[4];
	size_t got, total;
	int state;
	long avail;
} p;

static int state_of(struct thread *t)
{
	return __atomic_load_n(&t->ut.state, __ATOMIC_ACQUIRE);
}

static void reader_10(void *arg)
{
	(void)arg;
	unit_log(1);
	p.res[0] = rd(p.r, out, 100);
	unit_log(3);
}

static void writer_10(void *arg)
{
	(void)arg;
	p.state = state_of(p.t[0]);
	unit_log(2);
	fill(buf, 0, 10);
	p.res[1] = wr(p.w, buf, 10);
}

Test(pipe_block, reader_waits_for_data)
{
	cr_assert_eq(pipe_create(0, &p.r, &p.w), 0);
	p.t[0] = unit_spawn(reader_10, NULL);
	unit_spawn(writer_10, NULL);
	unit_run();
	cr_assert_eq(p.state, UT_BLOCKED);
	cr_assert_eq(p.res[1], 10);
	cr_assert_eq(p.res[0], 10, "what there is, not the 100 asked");
	cr_assert(check(out, 0, 10));
	unit_log_expect((int[]){1, 2, 3}, 3);
}

static void big_writer(void *arg)
{
	size_t n = (size_t)(uintptr_t)arg;

	fill(buf, 0, n);
	p.res[0] = wr(p.w, buf, n);
	unit_log(2);
}

/* reads everything in chunks of @arg bytes until EOF */
static void chunk_reader(void *arg)
{
	size_t chunk = (size_t)(uintptr_t)arg;
	long n;

	p.state = state_of(p.t[0]);
	p.avail = fionread(p.r);
	while ((n = rd(p.r, out + p.got, chunk)) > 0) {
		p.got += (size_t)n;
		if (p.got == p.total)
			file_put(p.w); /* all there: EOF next */
	}
	p.res[1] = n;
	unit_log(3);
}

static void run_transfer(size_t total, size_t chunk)
{
	cr_assert_eq(pipe_create(0, &p.r, &p.w), 0);
	p.total = total; /* when to close */
	p.t[0] = unit_spawn(big_writer, (void *)(uintptr_t)total);
	p.t[1] = unit_spawn(chunk_reader, (void *)(uintptr_t)chunk);
	unit_run();
	cr_assert_eq(p.res[0], (long)total, "the blocking write completes");
	cr_assert_eq(p.got, total);
	cr_assert(check(out, 0, total), "bytes lost or reordered");
	cr_assert_eq(p.res[1], 0, "then EOF");
	file_put(p.r);
}

Test(pipe_block, writer_waits_for_room)
{
	run_transfer(CAP + 100, 1000);
	cr_assert_eq(p.state, UT_BLOCKED, "the writer waited");
	cr_assert_eq(p.avail, CAP, "after filling the pipe");
}

Test(pipe_block, large_transfer_keeps_order)
{
	run_transfer(sizeof(buf), 3000);
}

/* two writers of PIPE_BUF blocks into a nearly full pipe: no interleaving */
#define NBLK 4

static void block_writer(void *arg)
{
	char c = (char)(intptr_t)arg, b[4096];

	memset(b, c, sizeof(b));
	for (int i = 0; i < NBLK; i++)
		cr_expect_eq(wr(p.w, b, sizeof(b)), 4096);
}

static void slow_reader(void *arg)
{
	size_t total = 5000 + 2 * NBLK * 4096;

	(void)arg;
	while (p.got < total) {
		long n = rd(p.r, out + p.got, 1000);

		if (n <= 0)
			break;
		p.got += (size_t)n;
		sched_yield_current();
	}
}

Test(pipe_block, pipe_buf_writes_do_not_interleave)
{
	int na = 0, nb = 0;

	cr_assert_eq(pipe_create(0, &p.r, &p.w), 0);
	cr_assert_eq(pipe_set_size(p.r, 8192), 8192);
	memset(buf, 'x', 5000);
	cr_assert_eq(wr(p.w, buf, 5000), 5000); /* 3192 bytes free */
	unit_spawn(block_writer, (void *)'a');
	unit_spawn(block_writer, (void *)'b');
	unit_spawn(slow_reader, NULL);
	unit_run();
	cr_assert_eq(p.got, 5000 + 2 * NBLK * 4096);
	for (int i = 0; i < 5000; i++)
		cr_assert_eq(out[i], 'x');
	for (int blk = 0; blk < 2 * NBLK; blk++) {
		const char *b = out + 5000 + blk * 4096;

		for (int i = 1; i < 4096; i++)
			cr_assert_eq(b[i], b[0], "block %d split at %d", blk,
				     i);
		na += b[0] == 'a';
		nb += b[0] == 'b';
	}
	cr_assert_eq(na, NBLK);
	cr_assert_eq(nb, NBLK);
	file_put(p.r);
	file_put(p.w);
}

static void closer(void *arg)
{
	struct file **f = arg;

	p.state = state_of(p.t[0]);
	file_put(*f);
	unit_log(2);
}

Test(pipe_block, closing_writer_wakes_reader)
{
	cr_assert_eq(pipe_create(0, &p.r, &p.w), 0);
	p.t[0] = unit_spawn(reader_10, NULL);
	unit_spawn(closer, &p.w);
	unit_run();
	cr_assert_eq(p.state, UT_BLOCKED);
	cr_assert_eq(p.res[0], 0, "EOF");
	unit_log_expect((int[]){1, 2, 3}, 3);
	file_put(p.r);
}

static void overfilling_writer(void *arg)
{
	(void)arg;
	p.res[0] = wr(p.w, buf, CAP + 10);
	p.res[1] = wr(p.w, buf, 1);
	unit_log(3);
}

Test(pipe_block, closing_reader_wakes_writer)
{
	cr_assert_eq(pipe_create(0, &p.r, &p.w), 0);
	p.t[0] = unit_spawn(overfilling_writer, NULL);
	unit_spawn(closer, &p.r);
	unit_run();
	cr_assert_eq(p.state, UT_BLOCKED);
	cr_assert_eq(p.res[0], CAP, "what was written before");
	cr_assert_eq(p.res[1], -EPIPE);
	unit_log_expect((int[]){2, 3}, 2);
	file_put(p.w);
}

static void interrupter(void *arg)
{
	struct thread *t = arg;

	p.state = state_of(t);
	__atomic_or_fetch(&t->sig_pending, 1ull << (SIGUSR1 - 1),
			  __ATOMIC_RELEASE);
	p.res[1] = sched_wake_signal(&t->ut);
	unit_log(2);
}

Test(pipe_block, signal_interrupts_read)
{
	cr_assert_eq(pipe_create(0, &p.r, &p.w), 0);
	p.t[0] = unit_spawn(reader_10, NULL);
	unit_spawn(interrupter, p.t[0]);
	unit_run();
	cr_assert_eq(p.state, UT_BLOCKED);
	cr_assert_eq(p.res[1], 1);
	cr_assert_eq(p.res[0], -EINTR);
	unit_log_expect((int[]){1, 2, 3}, 3);
	file_put(p.r);
	file_put(p.w);
}
