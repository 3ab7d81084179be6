/* pipeline.c - e2e: threads connected by pipes; PIPE_BUF atomicity; EPIPE */
#include "e2e_thr.h"

#include <signal.h>
#include <sys/ioctl.h>

/*
 * 1. Three stages joined by two pipes: a source thread writes a known
 *    stream in chunks from 1 byte to 200000 bytes, a filter thread reads
 *    it in other sizes, transforms each byte by its position and passes on
 *    what it read, a sink thread reads in yet other sizes and checks every
 *    byte and a checksum.
 * 2. Several writers share one pipe, each writing records of at most
 *    PIPE_BUF bytes: every write is atomic, so the reader must find whole
 *    records, each writer's in order.
 * 3. A writer blocked on a full pipe whose reader goes away: the partial
 *    count, then EPIPE (SIGPIPE ignored).
 */

#define TOTAL (6 * 1024 * 1024 + 12345)

static const size_t wsizes[] = {1,    3,     100,   512,    4095, 4096,
				4097, 65536, 65537, 200000, 7,	  1000};
static const size_t rsizes[] = {1, 17, 4096, 65536, 300, 100000, 8191};
static const size_t rsizes2[] = {65536, 5, 4096, 12289, 1};

static uint8_t src_byte(uint64_t pos)
{
	return (uint8_t)(e2e_mix(pos / 8) >> (8 * (pos % 8)));
}

static uint8_t mask(uint64_t pos)
{
	return (uint8_t)(pos * 131 + 7 + (pos >> 12));
}

/* write all of buf; returns the number of calls that came back short */
static long write_full(int fd, const uint8_t *buf, size_t n, long *errs)
{
	long shorts = 0;

	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			(*errs)++;
			return shorts;
		}
		if ((size_t)w != n)
			shorts++;
		buf += w;
		n -= (size_t)w;
	}
	return shorts;
}

struct stage {
	int in, out;
	long shorts, errs, reads, bytes;
	long bad; /* sink: wrong bytes */
	long first_bad;
	uint64_t fnv;
};

static void *source(void *arg)
{
	struct stage *s = arg;
	static uint8_t buf[200000];
	uint64_t pos = 0;

	for (size_t k = 0; pos < TOTAL; k++) {
		size_t n = wsizes[k % (sizeof(wsizes) / sizeof(wsizes[0]))];

		if (n > TOTAL - pos)
			n = TOTAL - pos;
		for (size_t i = 0; i < n; i++)
			buf[i] = src_byte(pos + i);
		s->shorts += write_full(s->out, buf, n, &s->errs);
		pos += n;
		s->bytes += (long)n;
	}
	close(s->out);
	return NULL;
}

static void *filter(void *arg)
{
	struct stage *s = arg;
	static uint8_t buf[100000];
	uint64_t pos = 0;

	for (size_t k = 0;; k++) {
		size_t n = rsizes[k % (sizeof(rsizes) / sizeof(rsizes[0]))];
		ssize_t r = read(s->in, buf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			s->errs++;
			break;
		}
		if (r == 0)
			break;
		s->reads++;
		for (ssize_t i = 0; i < r; i++)
			buf[i] ^= mask(pos + (uint64_t)i);
		pos += (uint64_t)r;
		s->shorts += write_full(s->out, buf, (size_t)r, &s->errs);
	}
	s->bytes = (long)pos;
	close(s->in);
	close(s->out);
	return NULL;
}

static void *sink(void *arg)
{
	struct stage *s = arg;
	static uint8_t buf[65536];
	uint64_t pos = 0, h = 0xcbf29ce484222325ULL;

	s->first_bad = -1;
	for (size_t k = 0;; k++) {
		size_t n = rsizes2[k % (sizeof(rsizes2) / sizeof(rsizes2[0]))];
		ssize_t r = read(s->in, buf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			s->errs++;
			break;
		}
		if (r == 0)
			break;
		s->reads++;
		for (ssize_t i = 0; i < r; i++) {
			uint64_t p = pos + (uint64_t)i;
			uint8_t want = (uint8_t)(src_byte(p) ^ mask(p));

			if (buf[i] != want && s->bad++ == 0)
				s->first_bad = (long)p;
			h = (h ^ buf[i]) * 0x100000001b3ULL;
		}
		pos += (uint64_t)r;
	}
	s->bytes = (long)pos;
	s->fnv = h;
	close(s->in);
	return NULL;
}

static void check_stages(void)
{
	int p1[2], p2[2];
	struct stage a = {0}, b = {0}, c = {0};
	pthread_t ta, tb, tc;
	uint64_t h = 0xcbf29ce484222325ULL;

	must("pipe", pipe(p1));
	must("pipe", pipe(p2));
	a.out = p1[1];
	b.in = p1[0];
	b.out = p2[1];
	c.in = p2[0];
	tc = e2e_spawn(sink, &c);
	tb = e2e_spawn(filter, &b);
	ta = e2e_spawn(source, &a);
	e2e_join(ta);
	e2e_join(tb);
	e2e_join(tc);
	for (uint64_t p = 0; p < TOTAL; p++)
		h = (h ^ (uint8_t)(src_byte(p) ^ mask(p))) * 0x100000001b3ULL;
	expect_long("stages: source bytes", a.bytes, TOTAL);
	expect_long("stages: filter bytes", b.bytes, TOTAL);
	expect_long("stages: sink bytes", c.bytes, TOTAL);
	expect_long("stages: short blocking writes", a.shorts + b.shorts, 0);
	expect_long("stages: read/write errors", a.errs + b.errs + c.errs, 0);
	expect_long("stages: wrong bytes at the sink", c.bad, 0);
	if (c.bad)
		printf("stages: first wrong byte at %ld\n", c.first_bad);
	printf("stages: checksum %016llx\n", (unsigned long long)c.fnv);
	expect_true("stages: checksum matches", c.fnv == h);
	expect_true("stages: reads came in pieces",
		    b.reads > 100 && c.reads > 100);
}

/* --- PIPE_BUF atomicity ----------------------------------------------- */

#define NW 4
#define RECS 1500

struct rec_hdr {
	uint16_t writer, len; /* len: whole record, header included */
	uint32_t seq;
};

static int atom_fd[2];

static size_t rec_len(int w, uint32_t seq)
{
	uint64_t x = e2e_mix((uint64_t)w << 32 | seq);

	if (seq % 10 == 0)
		return PIPE_BUF;
	return sizeof(struct rec_hdr) +
	       x % (PIPE_BUF - sizeof(struct rec_hdr) + 1);
}

static uint8_t rec_byte(int w, uint32_t seq, size_t i)
{
	return (uint8_t)(w * 61 + seq * 7 + i * 13);
}

static void *rec_writer(void *arg)
{
	int w = (int)(long)arg;
	static uint8_t bufs[NW][PIPE_BUF];
	uint8_t *buf = bufs[w];
	long bad = 0;

	for (uint32_t seq = 0; seq < RECS; seq++) {
		size_t n = rec_len(w, seq);
		struct rec_hdr h = {(uint16_t)w, (uint16_t)n, seq};
		ssize_t r;

		memcpy(buf, &h, sizeof(h));
		for (size_t i = sizeof(h); i < n; i++)
			buf[i] = rec_byte(w, seq, i);
		do
			r = write(atom_fd[1], buf, n);
		while (r < 0 && errno == EINTR);
		if (r != (ssize_t)n)
			bad++;
	}
	return (void *)bad;
}

static void check_atomic(void)
{
	static uint8_t stream[3 * PIPE_BUF];
	static const size_t rs[] = {1000, PIPE_BUF, 77, 3 * PIPE_BUF, 1};
	uint32_t next_seq[NW] = {0};
	size_t have = 0;
	long records = 0, torn = 0, order = 0, wbad = 0, bytes = 0;
	pthread_t t[NW];

	must("pipe", pipe(atom_fd));
	for (int i = 0; i < NW; i++)
		t[i] = e2e_spawn(rec_writer, (void *)(long)i);
	for (size_t k = 0; records < (long)NW * RECS; k++) {
		size_t want = rs[k % (sizeof(rs) / sizeof(rs[0]))];
		ssize_t r;
		size_t off = 0;

		if (want > sizeof(stream) - have)
			want = sizeof(stream) - have;
		r = read(atom_fd[0], stream + have, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			printf("atomic: read returned %zd (%s)\n", r,
			       r ? errname(errno) : "EOF");
			e2e_fails++;
			break;
		}
		have += (size_t)r;
		bytes += r;
		/* take every whole record from the front */
		while (have - off >= sizeof(struct rec_hdr)) {
			struct rec_hdr h;
			int ok = 1;

			memcpy(&h, stream + off, sizeof(h));
			if (h.writer >= NW || h.len < sizeof(h) ||
			    h.len > PIPE_BUF ||
			    h.len != rec_len(h.writer, h.seq)) {
				printf("atomic: garbage header at byte %ld\n",
				       bytes - (long)(have - off));
				e2e_fails++;
				goto out;
			}
			if (have - off < h.len)
				break;
			for (size_t i = sizeof(h); i < h.len; i++)
				if (stream[off + i] !=
				    rec_byte(h.writer, h.seq, i))
					ok = 0;
			torn += !ok;
			if (h.seq != next_seq[h.writer])
				order++;
			next_seq[h.writer] = h.seq + 1;
			records++;
			off += h.len;
		}
		memmove(stream, stream + off, have - off);
		have -= off;
	}
out:
	for (int i = 0; i < NW; i++)
		wbad += (long)e2e_join(t[i]);
	close(atom_fd[0]);
	close(atom_fd[1]);
	expect_long("atomic: records", records, (long)NW * RECS);
	expect_long("atomic: interleaved records", torn, 0);
	expect_long("atomic: records out of order", order, 0);
	expect_long("atomic: short writes", wbad, 0);
	expect_long("atomic: bytes left over", (long)have, 0);
}

/* --- writer blocked when the reader goes away ------------------------- */

struct big {
	int fd;
	ssize_t first, second;
	int first_err, second_err;
};

static void *big_writer(void *arg)
{
	struct big *b = arg;
	static uint8_t buf[256 * 1024];

	memset(buf, 'x', sizeof(buf));
	b->first = write(b->fd, buf, sizeof(buf));
	b->first_err = b->first < 0 ? errno : 0;
	b->second = write(b->fd, buf, 1);
	b->second_err = b->second < 0 ? errno : 0;
	return NULL;
}

static void check_epipe(void)
{
	int p[2], n = 0;
	struct big b = {0};
	pthread_t t;
	int64_t limit = e2e_now_ns(CLOCK_MONOTONIC) + 5000000000LL;

	signal(SIGPIPE, SIG_IGN);
	must("pipe", pipe(p));
	b.fd = p[1];
	t = e2e_spawn(big_writer, &b);
	/* wait until the writer has filled the pipe (default 64 KiB) */
	while (e2e_now_ns(CLOCK_MONOTONIC) < limit) {
		if (ioctl(p[0], FIONREAD, &n) < 0 || n >= 65536)
			break;
		e2e_sleep_ms(1);
	}
	expect_long("epipe: bytes in the full pipe", n, 65536);
	close(p[0]);
	e2e_join(t);
	close(p[1]);
	expect_long("epipe: blocked write returns the partial count",
		    (long)b.first, 65536);
	expect_errnum("epipe: error of the blocked write", b.first_err, 0);
	expect_long("epipe: next write returns", (long)b.second, -1);
	expect_errnum("epipe: next write's errno", b.second_err, EPIPE);
}

int main(void)
{
	e2e_init();
	e2e_watchdog(20);
	check_stages();
	check_atomic();
	check_epipe();
	return e2e_done();
}
