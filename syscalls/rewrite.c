/* rewrite.c - tier 2: turn trapped syscall sites into jumps */
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "base/kmalloc.h"
#include "base/host.h"
#include "base/log.h"
#include "kernel/proc.h"
#include "mm/mm.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

/*
 * A site `b8 NN NN NN NN 0f 05` (mov $nr,%eax; syscall) becomes
 * `ff 24 25 AA AA 0f 05`: jmp *ABS32, through an 8-byte slot at a low
 * address. Slots live at 0x050f0000-0x050fffff so that the last two bytes
 * of the jump are still `0f 05`: a thread that had already executed the
 * mov (preempted, or interrupted by a signal, between the two old
 * instructions), or code that jumps straight to the old syscall, executes
 * a real `syscall` there, which traps (tier 1) and is served correctly.
 * No other byte boundary existed inside the old site, so no thread can be
 * stopped in the middle of the new jump. (The gVisor scheme.)
 *
 * The slot holds the address of a per-site stub that sets up what the
 * syscall instruction would have: eax = nr, rcx = return address; r11 is
 * scratch (syscall clobbers it) and carries the jump to entry_jmp.
 */
#define SLOT_BASE 0x050f0000ull
#define SLOT_BYTES 0x10000ull
#define NR_SLOTS (SLOT_BYTES / 8)
#define STUB_SIZE 32

extern char entry_jmp[];

static bool enabled;
static bool can_sync; /* host membarrier SYNC_CORE registered: MT-safe */
static bool failed; /* the slot window was not available */
/*
 * A fixed-address guest image took the slot window's addresses (see
 * release_slots): only the forms that need no slot are used from then on.
 */
static bool slots_gone;
static struct spinlock lock = SPINLOCK_INIT;
static uint64_t *slots; /* at SLOT_BASE, once mapped */
static uint8_t *stubs;
static unsigned nr_used;
static int mem_fd = -1; /* /proc/self/mem, to write code pages */

int rewrite_init(bool enable)
{
	enabled = enable;
	/* without it a multithreaded process keeps trapping (slower) */
	can_sync = host_syscall3(
			   SYS_membarrier,
			   MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
			   0, 0) == 0;
	/* for the guests' membarrier (sys_proc.c): cheap while single */
	host_syscall3(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
		      0, 0);
	return 0;
}

/*
 * Patching code that other threads may be running (Intel SDM, "cross-
 * modifying code"; Linux's text_poke_bp does the same): the first byte
 * of the instruction becomes int3, every core serializes, the other bytes
 * change, every core serializes, the first byte changes, every core
 * serializes. A thread that meets the int3 meanwhile takes SIGTRAP, and
 * our handler sends it where the new code goes (rewrite_int3_target).
 * The patches are remembered (bytes included) so that a late SIGTRAP, one
 * raised before the patch completed but handled after, still finds its
 * way, and a guest's own int3 at a stale address is not taken for ours.
 */
#define NR_PATCHES 16384 /* a power of two; at most 3/4 used */
#define PATCH_MAX 8

struct patch {
	uint64_t addr; /* written last (release): 0 while free */
	uint64_t target; /* where a thread meeting the int3 goes */
	uint8_t bytes[PATCH_MAX];
	uint8_t len;
	uint8_t busy; /* the int3 may be there */
};

static struct patch patches[NR_PATCHES];
static unsigned nr_patches;

static unsigned patch_hash(uint64_t addr)
{
	return (unsigned)((addr * 0x9e3779b97f4a7c15ull) >> 50) &
	       (NR_PATCHES - 1);
}

/* the entry of @addr, or a free one for it; lock held */
static struct patch *patch_slot(uint64_t addr)
{
	unsigned i = patch_hash(addr);

	for (;; i = (i + 1) & (NR_PATCHES - 1)) {
		struct patch *p = &patches[i];

		if (p->addr == addr || !p->addr)
			return p;
	}
}

static void sync_cores(void)
{
	host_syscall3(SYS_membarrier,
		      MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
}

static bool poke(const void *bytes, size_t len, uint64_t addr)
{
	return host_pwrite(mem_fd, bytes, len, (off_t)addr) == (long)len;
}

/*
 * install - write @len bytes at @addr, an instruction boundary that other
 * threads may be executing (@mt); @old0: the byte there now; @target:
 * where the new code goes, doing what the old code did.
 * Lock held (patches). Returns true if the code is in place.
 */
static bool install(uint64_t addr, const uint8_t *bytes, size_t len,
		    uint8_t old0, uint64_t target, bool mt)
{
	static const uint8_t int3 = 0xcc;
	struct patch *p;
	bool ok;

	if (!mt)
		return poke(bytes, len, addr);
	p = patch_slot(addr);
	if (!p->addr && nr_patches >= NR_PATCHES / 4 * 3)
		return false; /* full: this site keeps trapping */
	__atomic_store_n(&p->busy, 1, __ATOMIC_RELEASE);
	p->target = target;
	memcpy(p->bytes, bytes, len);
	p->len = (uint8_t)len;
	if (!p->addr) {
		nr_patches++;
		__atomic_store_n(&p->addr, addr, __ATOMIC_RELEASE);
	}
	if (!poke(&int3, 1, addr)) {
		__atomic_store_n(&p->busy, 0, __ATOMIC_RELEASE);
		return false;
	}
	sync_cores();
	ok = poke(bytes + 1, len - 1, addr + 1);
	sync_cores();
	/* on failure, the old first byte again: the old code runs on */
	poke(ok ? bytes : &old0, 1, addr);
	sync_cores();
	/*
	 * After a failure the entry stays busy: a thread that met the int3
	 * still goes to @target, which does what the old code did.
	 */
	if (ok)
		__atomic_store_n(&p->busy, 0, __ATOMIC_RELEASE);
	return ok;
}

uint64_t rewrite_int3_target(uint64_t addr)
{
	unsigned i = patch_hash(addr);
	uint8_t now[PATCH_MAX];

	if (!slots)
		return 0;
	for (;; i = (i + 1) & (NR_PATCHES - 1)) {
		struct patch *p = &patches[i];
		uint64_t a = __atomic_load_n(&p->addr, __ATOMIC_ACQUIRE);

		if (!a)
			return 0;
		if (a != addr)
			continue;
		if (__atomic_load_n(&p->busy, __ATOMIC_ACQUIRE))
			return p->target;
		/* done since: ours only if our bytes are still there */
		if (copy_from_user(now, (void *)addr, p->len) ||
		    memcmp(now, p->bytes, p->len))
			return 0;
		return p->target;
	}
}

bool rewrite_owns(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	return (slots && addr < SLOT_BASE + SLOT_BYTES && end > SLOT_BASE) ||
	       (stubs && addr < (uint64_t)stubs + NR_SLOTS * STUB_SIZE &&
		end > (uint64_t)stubs);
}

/*
 * release_slots - a non-PIE image is loaded over the slot window (node is
 * linked from 0x400000 to past 0x5600000). Its addresses are the guest's:
 * unmap the window for good. This happens in execve after the old image
 * is gone, and there is one image per instance whose sites use slots, so
 * no rewritten site can still jump through a slot.
 */
static void release_slots(void)
{
	spin_lock(&lock);
	if (slots)
		host_munmap((void *)SLOT_BASE, SLOT_BYTES);
	slots = NULL;
	slots_gone = true;
	spin_unlock(&lock);
}

/* map the slot window and stub area; lock held */
static bool setup(struct mm *mm)
{
	long r;

	if (stubs)
		return true;
	if (failed)
		return false;
	failed = true;
	/* a non-PIE guest image may hold the window: then go without it */
	r = slots_gone ? -EEXIST
		       : host_mmap((void *)SLOT_BASE, SLOT_BYTES,
				   PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS |
					   MAP_FIXED_NOREPLACE,
				   -1, 0);
	if (r >= 0 && (uint64_t)r != SLOT_BASE) {
		host_munmap((void *)r, SLOT_BYTES);
		r = -EEXIST;
	}
	if (r < 0)
		slots_gone = true;
	r = host_mmap(NULL, NR_SLOTS * STUB_SIZE, PROT_READ | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r < 0)
		goto undo_slots;
	stubs = (uint8_t *)r;
	mem_fd = (int)host_openat(AT_FDCWD, "/proc/self/mem",
				  O_RDWR | O_CLOEXEC, 0);
	if (mem_fd < 0)
		goto undo_stubs;
	/* the guest sees both in its maps and may not unmap them */
	if (!slots_gone)
		mm_add_pinned_release(SLOT_BASE, SLOT_BASE + SLOT_BYTES,
				      PROT_READ, "[junction-syscall]",
				      release_slots);
	mm_add_pinned((uint64_t)stubs, (uint64_t)stubs + NR_SLOTS * STUB_SIZE,
		      PROT_READ | PROT_EXEC, "[junction-syscall]");
	mm_pin_into(mm);
	if (!slots_gone)
		slots = (uint64_t *)SLOT_BASE;
	failed = false;
	return true;

undo_stubs:
	host_munmap(stubs, NR_SLOTS * STUB_SIZE);
	stubs = NULL;
undo_slots:
	if (!slots_gone)
		host_munmap((void *)SLOT_BASE, SLOT_BYTES);
	return false;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * The end of every stub: what the syscall instruction would have done,
 * then the kernel. movabs $ret,%rcx; movabs $entry_jmp,%r11; jmp *%r11.
 * Returns the offset after it.
 */
static int emit_entry(uint8_t *stub, int o, uint64_t ret)
{
	stub[o++] = 0x48;
	stub[o++] = 0xb9;
	put64(stub + o, ret);
	o += 8;
	stub[o++] = 0x49;
	stub[o++] = 0xbb;
	put64(stub + o, (uint64_t)entry_jmp);
	o += 8;
	stub[o++] = 0x41;
	stub[o++] = 0xff;
	stub[o++] = 0xe3;
	return o;
}

/*
 * Second form, for a `syscall` not preceded by `mov $nr,%eax` (e.g.
 * `xor %eax,%eax; syscall`): the two bytes `0f 05` become `eb rel8`, a
 * jump into the dead NOP padding that compilers put between functions,
 * where a 7-byte `jmp *slot` is written. Only those two bytes and the
 * padding change: every other byte is still the original code, so a jump
 * to any old instruction and a thread stopped at any old boundary behave
 * as before (a thread stopped at the syscall itself takes the new jump,
 * with eax already set). The padding must follow an unconditional ret/jmp
 * and end at a 16-byte boundary, so it is never executed.
 */
#define PAD_WINDOW 128

/* length of the NOP instruction at @p (of @n bytes), or 0 */
static int nop_len(const uint8_t *p, int n)
{
	int i = 0;

	if (n >= 1 && (p[0] == 0x90 || p[0] == 0xcc))
		return 1;
	while (i < n && i < 8 && (p[i] == 0x66 || p[i] == 0x2e))
		i++; /* operand-size and cs prefixes of the long NOPs */
	if (i + 2 > n || p[i] != 0x0f || p[i + 1] != 0x1f)
		return i && i < n && p[i] == 0x90 ? i + 1 : 0;
	i += 2;
	if (i >= n)
		return 0;
	switch (p[i]) { /* ModRM of nopl/nopw with 0, 1 or 4 byte disp */
	case 0x00:
		return i + 1;
	case 0x40:
		return i + 3 <= n && p[i + 1] == 0 ? i + 2 : 0;
	case 0x44:
		return i + 3 <= n && p[i + 1] == 0 && p[i + 2] == 0 ? i + 3 : 0;
	case 0x80:
		return i + 5 <= n && !p[i + 1] && !p[i + 2] && !p[i + 3] &&
				       !p[i + 4]
			       ? i + 5
			       : 0;
	case 0x84:
		return i + 6 <= n && !p[i + 1] && !p[i + 2] && !p[i + 3] &&
				       !p[i + 4] && !p[i + 5]
			       ? i + 6
			       : 0;
	default:
		return 0;
	}
}

/* used padding, so that two sites never share bytes; lock held */
#define MAX_PADS 4096
static uint64_t used_pads[MAX_PADS];
static unsigned nr_pads;

static bool pad_used(uint64_t a)
{
	for (unsigned i = 0; i < nr_pads; i++) {
		if (a < used_pads[i] + 7 && used_pads[i] < a + 7)
			return true;
	}
	return false;
}

static int reloc_len(const uint8_t *p, int n, int *ripdisp);

/*
 * Length of the instruction at @p for a forward walk from a known
 * instruction start (a syscall, a function's start) to a jmp or ret: the
 * simple forms reloc_len knows, cmp with %eax/%rax and an imm32, jcc,
 * call rel32, syscall, neg. 0 if another.
 */
static int walk_len(const uint8_t *p, int n)
{
	int rd, i = 0, len;

	if (n <= 0 || p[0] == 0xcc)
		return 0;
	len = reloc_len(p, n, &rd);
	if (len)
		return len;
	if (n >= 2 && p[0] == 0x0f && p[1] == 0x05)
		return 2; /* syscall */
	if (p[0] == 0xe8)
		return n >= 5 ? 5 : 0; /* call rel32 */
	if (n > 1 && (p[0] & 0xf0) == 0x40)
		i = 1; /* REX */
	if (i + 2 <= n && p[i] == 0xf7 && (p[i + 1] & 0xf8) == 0xd8)
		return i + 2; /* neg %r32/%r64 */
	if (p[i] == 0x3d)
		return i + 5 <= n ? i + 5 : 0;
	if (!i && p[0] >= 0x70 && p[0] <= 0x7f)
		return n >= 2 ? 2 : 0;
	if (!i && n >= 6 && p[0] == 0x0f && p[1] >= 0x80 && p[1] <= 0x8f)
		return 6;
	return 0;
}

/*
 * Is there an instruction at @s of @w, decoding forward from @from (an
 * instruction start)? Only the forms of walk_len: true means certain.
 */
static bool walk_reaches(const uint8_t *w, int wn, int from, int s)
{
	int at = from;

	while (at < s) {
		int len = walk_len(w + at, wn - at);

		if (!len)
			return false;
		at += len;
	}
	return at == s;
}

/*
 * Decoding forward from the start of its function (by .eh_frame_hdr),
 * is there an instruction at @at? For padding before the syscall (glibc's
 * read: a fast path's `ret` and alignment, then the slow path's syscall).
 */
#define FUNC_WALK_MAX 512

static bool walk_from_func(struct mm *mm, uint64_t site, uint64_t at)
{
	uint8_t code[FUNC_WALK_MAX + 16];
	uint64_t f = ehframe_func_start(mm, site, at);
	size_t n;

	if (!f || at - f > FUNC_WALK_MAX)
		return false;
	n = (size_t)(at - f) + 16;
	if (copy_from_user(code, (const void *)f, n))
		return false;
	return walk_reaches(code, (int)n, 0, (int)(at - f));
}

/*
 * find_pad - 7 free bytes of padding within a rel8 jump of the syscall
 * at @site, in @mm. @w holds the bytes of [@w0, @w0 + @wn) (clipped to
 * the mapping). Returns the address or 0.
 */
static uint64_t find_pad(struct mm *mm, uint64_t site, const uint8_t *w,
			 uint64_t w0, int wn)
{
	int after = (int)(site + 2 - w0); /* the end of the syscall, in @w */

	for (int i = 0; i < wn; i++) {
		/* where the transfer ending at @i starts (c3, cc, eb, e9) */
		int start = w[i] == 0xc3 || w[i] == 0xcc ? i
			    : i >= 1 && w[i - 1] == 0xeb ? i - 1
			    : i >= 4 && w[i - 4] == 0xe9 ? i - 4
							 : -1;
		int j = i + 1, len;
		bool all_int3 = true;

		if (start < 0)
			continue;
		/* a run of NOPs right after an unconditional transfer */
		while (j < wn && (len = nop_len(w + j, wn - j)) > 0) {
			all_int3 &= len == 1 && w[j] == 0xcc;
			j += len;
		}
		if (j >= wn || ((w0 + (uint64_t)j) & 15) || j - (i + 1) < 7)
			continue;
		/*
		 * Byte values alone do not prove the transfer is one (01 c3
		 * is add %eax,%ebx), and loop alignment NOPs are executed.
		 * It is certain as int3 fill (nothing runs into an int3: Go's
		 * linker, clang); when decoding from the syscall reaches it
		 * (glibc's `syscall; cmp; ja; ret`), or from the start of its
		 * function; or when the unwind table ends a function right
		 * after it (ehframe.c).
		 */
		if (!all_int3 &&
		    !(start >= after && walk_reaches(w, wn, after, start)) &&
		    !ehframe_fde_ends_at(mm, site, w0 + (uint64_t)i + 1) &&
		    !walk_from_func(mm, site, w0 + (uint64_t)start))
			continue;
		for (int k = i + 1; k + 7 <= j; k++) {
			uint64_t a = w0 + (uint64_t)k;
			int64_t d = (int64_t)a - (int64_t)(site + 2);

			if (d >= -128 && d <= 127 && !pad_used(a))
				return a;
		}
	}
	return 0;
}

/*
 * Third form, for `mov $nr,%eax` followed by a few simple instructions
 * before the syscall (ld.so's openat, for one), or `mov $nr,%r32` and
 * later `mov %r32,%eax` (glibc's thread exit): the 5-byte mov becomes
 * `jmp rel32` to a stub near the code (within 2 GiB) that executes the
 * mov and copies of the instructions in between, then enters the kernel
 * and returns after the syscall. Again no other byte changes. The copies
 * must mean the same there: register and memory forms of a few opcodes
 * and NOPs, decoded exactly up to the syscall; a RIP-relative
 * operand gets its displacement adjusted to the copy's address (glibc's
 * `lea sigall_set(%rip),%rsi` in pthread_create). Each mm gets its own
 * stub pages near its code.
 */

/*
 * length of a relocatable instruction at @p, 0 if not one we take;
 * *@ripdisp: the offset of its disp32 if it is RIP-relative, else -1
 */
static int reloc_len(const uint8_t *p, int n, int *ripdisp)
{
	int i = 0, rex = 0, mod, reg, rm, len;
	uint8_t op;

	*ripdisp = -1;
	len = nop_len(p, n);
	if (len && p[0] != 0xcc)
		return len; /* alignment NOPs inside the code */
	if (n > 0 && (p[0] & 0xf0) == 0x40) {
		rex = p[0];
		i = 1;
	}
	if (i >= n)
		return 0;
	op = p[i++];
	if (op >= 0xb8 && op <= 0xbf) { /* mov $imm, %reg */
		len = i + ((rex & 8) ? 8 : 4);
		return len <= n ? len : 0;
	}
	switch (op) {
	case 0x89:
	case 0x8b:
	case 0x31:
	case 0x33:
	case 0x29:
	case 0x2b:
	case 0x01:
	case 0x03:
	case 0x21:
	case 0x23:
	case 0x09:
	case 0x0b:
	case 0x85:
	case 0x39:
	case 0x3b:
	case 0x8d:
	case 0xc7:
	case 0x83:
	case 0x81:
	case 0x80:
		break;
	default:
		return 0;
	}
	if (i >= n)
		return 0;
	mod = p[i] >> 6;
	reg = (p[i] >> 3) & 7;
	rm = p[i] & 7;
	i++;
	if (op == 0xc7 && reg != 0)
		return 0;
	if (mod != 3) {
		if (rm == 4) { /* SIB */
			if (i >= n)
				return 0;
			if (mod == 0 && (p[i] & 7) == 5)
				i += 4; /* disp32, no base */
			i++;
		} else if (mod == 0 && rm == 5) {
			*ripdisp = i; /* RIP-relative: the copy's is adjusted */
			i += 4;
		}
		if (mod == 1)
			i += 1;
		else if (mod == 2)
			i += 4;
	}
	if (op == 0x83 || op == 0x80)
		i += 1;
	else if (op == 0x81 || op == 0xc7)
		i += 4;
	return i <= n ? i : 0;
}

#define NEAR_STUB_BYTES (64 * 1024)
#define NEAR_RANGE (1ull << 30) /* stay well inside rel32's reach */

/* a stub slot of @size bytes within NEAR_RANGE of @site; 0 if none */
static uint64_t near_stub(struct mm *mm, uint64_t site, size_t size)
{
	struct near_area *a;
	uint64_t lo, hi, at;
	long r;

	for (a = mm->near_stubs; a; a = a->next) {
		if (a->used + size <= NEAR_STUB_BYTES &&
		    a->base + NEAR_STUB_BYTES < site + NEAR_RANGE &&
		    a->base + NEAR_RANGE > site) {
			at = a->base + a->used;
			a->used += size;
			return at;
		}
	}
	a = kmalloc(sizeof(*a));
	if (!a)
		return 0;
	lo = site > NEAR_RANGE + 0x10000 ? site - NEAR_RANGE : 0x10000;
	hi = site + NEAR_RANGE;
	/* inside the process's region if the code is: never in another's */
	if (site >= mm->region_start && site < mm->region_end) {
		if (lo < mm->region_start)
			lo = mm->region_start;
		if (hi > mm->region_end)
			hi = mm->region_end;
	} else if (hi > MM_REGION_BASE) {
		hi = MM_REGION_BASE;
	}
	spin_lock(&mm->lock);
	at = vma_gap_topdown(&mm->vs, NEAR_STUB_BYTES, lo, hi, 4096);
	spin_unlock(&mm->lock);
	r = at ? mm_mmap(mm, at, NEAR_STUB_BYTES, PROT_READ | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			 0, NULL)
	       : -ENOMEM;
	if (r < 0) {
		kfree(a);
		return 0;
	}
	spin_lock(&mm->lock);
	vma_set_flags(&mm->vs, at, at + NEAR_STUB_BYTES, VMA_PINNED | VMA_STUB,
		      0);
	mm_set_anon_name_locked(mm, at, at + NEAR_STUB_BYTES,
				"[junction-syscall]");
	spin_unlock(&mm->lock);
	a->base = at;
	a->used = size;
	a->next = mm->near_stubs;
	mm->near_stubs = a;
	return at;
}

/*
 * A prefix that would change what `b8+r imm32` after it means: REX.W
 * (movabs, 10 bytes), REX.B (r8-r15), operand size (imm16); the others
 * do not change it (or make it invalid). If @b is one, the mov may be the
 * tail of a longer
 * instruction; if @b merely looks like one, we lose a rewrite, no more.
 */
static bool is_prefix(uint8_t b)
{
	return ((b & 0xf0) == 0x40 && (b & 0x9)) || b == 0x66;
}

/* try the third form for the syscall at @sc; 1 if rewritten; lock held */
static int rewrite_mov_window(struct thread *t, uint64_t sc, unsigned long nr,
			      bool mt)
{
	uint8_t w[40], stub[80], jmp[5];
	uint64_t w0 = sc - 32, anchor = 0, near;
	uint32_t prot, flags, imm;
	bool file;
	int o = 0, rel;

	if (mm_query(t->proc->mm, w0, &prot, &flags, &file) < 0 ||
	    !(prot & PROT_EXEC) || !file || (flags & VMA_SHARED))
		return 0;
	if (copy_from_user(w, (void *)w0, 32))
		return 0;
	int rips[8], nrips = 0;

	/*
	 * The nearest `mov $nr,%r32` from which the code decodes to sc
	 * (with `mov %r32,%eax` on the way unless r32 is eax). These five
	 * bytes, not preceded by a prefix, are almost surely an instruction
	 * of their own and not the tail of a longer one.
	 */
	for (int p = 32 - 5 - 2; p >= 1 && !anchor; p--) {
		int q, reg = w[p] - 0xb8;
		bool to_eax = reg == 0;

		memcpy(&imm, w + p + 1, 4);
		if (w[p] < 0xb8 || w[p] > 0xbf || imm != nr ||
		    is_prefix(w[p - 1]))
			continue;
		nrips = 0;
		for (q = p + 5; q < 32;) {
			int rd, l = reloc_len(w + q, 32 - q, &rd);

			if (!l || (rd >= 0 && nrips == 8))
				break;
			if (rd >= 0)
				rips[nrips++] =
					q + rd - p; /* offset in the copy */
			/* mov %r32,%eax: 89 /r, mod 3, reg r32, rm 0 */
			if (l == 2 && w[q] == 0x89 &&
			    w[q + 1] == (0xc0 | (reg << 3)))
				to_eax = true;
			q += l;
		}
		if (q == 32 && to_eax)
			anchor = w0 + (uint64_t)p;
	}
	if (!anchor)
		return 0;
	near = near_stub(t->proc->mm, sc, sizeof(stub));
	if (!near)
		return 0;
	/* mov $nr,%eax and the instructions up to the syscall */
	memcpy(stub, w + (anchor - w0), sc - anchor);
	for (int i = 0; i < nrips; i++) {
		int32_t disp;
		int64_t moved;

		memcpy(&disp, stub + rips[i], 4);
		moved = (int64_t)disp + (int64_t)anchor - (int64_t)near;
		if (moved != (int32_t)moved)
			return 0; /* out of reach from the stub */
		put32(stub + rips[i], (uint32_t)(int32_t)moved);
	}
	o = emit_entry(stub, (int)(sc - anchor), sc + 2);
	memset(stub + o, 0xcc, sizeof(stub) - (size_t)o);
	if (!poke(stub, sizeof(stub), near))
		return 0;
	rel = (int)((int64_t)near - (int64_t)(anchor + 5));
	jmp[0] = 0xe9;
	put32(jmp + 1, (uint32_t)rel);
	return install(anchor, jmp, 5, w[anchor - w0], near, mt);
}

/* the second form at @sc through slot @idx; lock held */
static int rewrite_pad(uint64_t sc, uint64_t pad, unsigned idx, bool mt)
{
	uint64_t slot_addr = SLOT_BASE + (uint64_t)idx * 8;
	uint64_t stub_addr = (uint64_t)stubs + (uint64_t)idx * STUB_SIZE;
	uint8_t full[7], jmp8[2];

	full[0] = 0xff; /* jmp *abs32: ff 24 25 disp32 */
	full[1] = 0x24;
	full[2] = 0x25;
	put32(full + 3, (uint32_t)slot_addr);
	jmp8[0] = 0xeb;
	jmp8[1] = (uint8_t)(int8_t)((int64_t)pad - (int64_t)(sc + 2));
	/* the padding first: nothing runs it until the jump exists */
	if (!poke(full, 7, pad))
		return 0;
	return install(sc, jmp8, 2, 0x0f, stub_addr, mt);
}

/*
 * Sites that stay as they are (no form fits, not a private file mapping,
 * or rewritten already and trapping from before): a direct-mapped cache,
 * so a trapping hot loop does not search or take the lock every time. A
 * stale entry after the code is replaced only costs traps.
 */
#define NO_REWRITE_SLOTS 1024
static uint64_t no_rewrite[NO_REWRITE_SLOTS];

static unsigned site_hash(uint64_t sc)
{
	return (unsigned)((sc * 0x9e3779b97f4a7c15ull) >> 54) &
	       (NO_REWRITE_SLOTS - 1);
}

int rewrite_site(uint64_t rip, unsigned long nr)
{
	struct thread *t = current_thread();
	uint8_t b[7], stub[STUB_SIZE], site[5];
	uint8_t w[2 * PAD_WINDOW + 2];
	uint64_t at = rip - 7, sc = rip - 2, slot_addr, stub_addr, pad = 0;
	uint64_t w0, w1;
	uint32_t prot, flags, imm;
	bool file, inplace, mt;
	unsigned idx;
	struct vma *v;
	int r = 0;

	if (!enabled || failed || nr >= SYS_TABLE_SIZE)
		return 0;
	/*
	 * Other threads of the process may run this code meanwhile (and
	 * then a second one may trap at the same site): see install().
	 */
	mt = __atomic_load_n(&t->proc->nr_threads, __ATOMIC_ACQUIRE) != 1;
	if (mt && !can_sync)
		return 0;
	/* a site we could not rewrite traps again: do not search again */
	if (__atomic_load_n(&no_rewrite[site_hash(sc)], __ATOMIC_RELAXED) == sc)
		return 0;
	spin_lock(&lock);
	/* read under the lock: another thread may just have patched it */
	if (copy_from_user(b, (void *)at, sizeof(b)) || b[5] != 0x0f ||
	    b[6] != 0x05)
		goto out;
	/*
	 * Our own jump ends in 0f 05 too: this thread ran the mov before
	 * another rewrote the site, and now traps on its old syscall.
	 */
	if (b[0] == 0xff && b[1] == 0x24 && b[2] == 0x25)
		goto out;
	memcpy(&imm, b + 1, 4);
	inplace = b[0] == 0xb8 && imm == nr;
	/* only private file mappings of code: never a file shared on disk */
	if (mm_query(t->proc->mm, sc, &prot, &flags, &file) < 0 ||
	    !(prot & PROT_EXEC) || !file || (flags & VMA_SHARED))
		goto out;
	if (inplace && (mm_query(t->proc->mm, at, &prot, &flags, &file) < 0 ||
			!(prot & PROT_EXEC) || !file || (flags & VMA_SHARED)))
		inplace = false;
	if (!setup(t->proc->mm) || nr_used == NR_SLOTS)
		goto out;
	if (slots_gone) {
		r = rewrite_mov_window(t, sc, nr, mt);
		goto out;
	}
	if (!inplace) {
		/* the window, clipped to the mapping of the syscall */
		spin_lock(&t->proc->mm->lock);
		v = vma_lookup(&t->proc->mm->vs, sc);
		w0 = sc - PAD_WINDOW;
		w1 = sc + 2 + PAD_WINDOW;
		if (v && w0 < v->start)
			w0 = v->start;
		if (v && w1 > v->end)
			w1 = v->end;
		spin_unlock(&t->proc->mm->lock);
		if (!v || copy_from_user(w, (void *)w0, w1 - w0) ||
		    !(pad = find_pad(t->proc->mm, sc, w, w0, (int)(w1 - w0))) ||
		    nr_pads == MAX_PADS) {
			r = rewrite_mov_window(t, sc, nr, mt);
			goto out;
		}
		used_pads[nr_pads++] = pad;
	}
	idx = nr_used++;
	slot_addr = SLOT_BASE + (uint64_t)idx * 8;
	stub_addr = (uint64_t)stubs + (uint64_t)idx * STUB_SIZE;

	/* the stub: [mov $nr,%eax;] then emit_entry */
	memset(stub, 0xcc, sizeof(stub));
	{
		int o = 0;

		if (inplace) {
			stub[o++] = 0xb8;
			put32(stub + o, (uint32_t)nr);
			o += 4;
		}
		emit_entry(stub, o, rip);
	}
	if (!poke(stub, sizeof(stub), stub_addr))
		goto out;
	slots[idx] = stub_addr;
	if (!inplace) {
		r = rewrite_pad(sc, pad, idx, mt);
		goto out;
	}
	site[0] = 0xff; /* jmp *abs32: ff 24 25 disp32 */
	site[1] = 0x24;
	site[2] = 0x25;
	site[3] = (uint8_t)slot_addr;
	site[4] = (uint8_t)(slot_addr >> 8);
	/* bytes 5 and 6 (the address's top half, 0x050f) stay 0f 05 */
	r = install(at, site, 5, 0xb8, stub_addr, mt);
out:
	if (!r)
		__atomic_store_n(&no_rewrite[site_hash(sc)], sc,
				 __ATOMIC_RELAXED);
	spin_unlock(&lock);
	return r;
}

unsigned rewrite_nr_sites(void)
{
	return nr_used;
}
