#!/usr/bin/python3
"""gen_corpus.py - write malformed variants of a valid static ELF executable.

usage: gen_corpus.py --list
       gen_corpus.py --base BIN --outdir DIR

--list prints the fixed list of corpus files, one "NAME STATUS" a line, where
STATUS is the exit status junction-run must give: 126 for a file that exists
but cannot be executed, 0 for the few controls that must still run.  meson
reads it at configure time to declare one test per file.

--base BIN --outdir DIR writes every file of the list into DIR (executable,
except where the defect is the mode) and DIR/MANIFEST with the same lines.
BIN must be a valid ELF64 x86-64 ET_EXEC with at least three PT_LOADs, the
section headers at the end of the file and two program headers to reuse
for PT_INTERP and PT_PHDR (see SPARE).  Interpreter paths that name other
corpus files are absolute: the corpus only works where it was written.

Only the standard library is used.
"""

import argparse
import os
import struct
import sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
EHDR_FIELDS = ("e_ident", "e_type", "e_machine", "e_version", "e_entry",
               "e_phoff", "e_shoff", "e_flags", "e_ehsize", "e_phentsize",
               "e_phnum", "e_shentsize", "e_shnum", "e_shstrndx")
PHDR_FIELDS = ("p_type", "p_flags", "p_offset", "p_vaddr", "p_paddr",
               "p_filesz", "p_memsz", "p_align")

EI_CLASS, EI_DATA, EI_VERSION = 4, 5, 6
ET_REL, ET_EXEC, ET_CORE = 1, 2, 4
EM_AARCH64 = 183
PT_NULL, PT_LOAD, PT_INTERP, PT_NOTE, PT_PHDR = 0, 1, 3, 4, 6
PT_GNU_EH_FRAME, PT_GNU_STACK = 0x6474e550, 0x6474e551
PT_GNU_PROPERTY = 0x6474e553
# reused in this order: the program still runs without the first three
SPARE = (PT_NOTE, PT_NULL, PT_GNU_PROPERTY, PT_GNU_EH_FRAME, PT_GNU_STACK)
PF_X = 1
PAGE = 4096
U64 = 1 << 64
GOOD_INTERP = b"/lib64/ld-linux-x86-64.so.2\0"


class Image:
    """A mutable ELF64 image: header and program headers as dicts."""

    def __init__(self, data):
        self.data = bytearray(data)
        self.eh = dict(zip(EHDR_FIELDS, EHDR.unpack_from(self.data, 0)))
        self.ph = [dict(zip(PHDR_FIELDS, PHDR.unpack_from(
            self.data, self.eh["e_phoff"] + i * PHDR.size)))
            for i in range(self.eh["e_phnum"])]
        self.phoff = self.eh["e_phoff"]

    def loads(self):
        return [p for p in self.ph if p["p_type"] == PT_LOAD]

    def spare(self, n):
        """@n program headers to reuse: ones that loading does not need"""
        s = [p for t in SPARE for p in self.ph if p["p_type"] == t]
        if len(s) < n:
            sys.exit("gen_corpus: base binary has fewer than %d spare "
                     "program headers" % n)
        return s[:n]

    def append(self, blob, align=8):
        """append @blob at the end of the file; returns its offset"""
        self.data += b"\0" * (-len(self.data) % align)
        off = len(self.data)
        self.data += blob
        return off

    def make_interp(self, p, path, filesz=None):
        off = self.append(path)
        p.update(p_type=PT_INTERP, p_flags=4, p_offset=off, p_vaddr=0,
                 p_paddr=0, p_filesz=len(path) if filesz is None else filesz,
                 p_memsz=0, p_align=1)

    def bytes(self):
        """the image with the (possibly edited) headers written back"""
        out = bytearray(self.data)
        EHDR.pack_into(out, 0, *[self.eh[f] for f in EHDR_FIELDS])
        for i, p in enumerate(self.ph):
            at = self.phoff + i * PHDR.size
            if at + PHDR.size <= len(out):
                PHDR.pack_into(out, at, *[p[f] for f in PHDR_FIELDS])
        return bytes(out)


def set_ident(im, index, value):
    ident = bytearray(im.eh["e_ident"])
    ident[index:index + len(value)] = value
    im.eh["e_ident"] = bytes(ident)


def text(im):
    """the first executable PT_LOAD that does not hold the headers"""
    for p in im.loads():
        if p["p_flags"] & PF_X and p["p_offset"] > 0:
            return p
    return im.loads()[1]


def page_up(n):
    return (n + PAGE - 1) // PAGE * PAGE


# ---- the cases: each returns the file's bytes, or (bytes, mode) ----

CASES = []  # (name, status, build)


def case(name, status=126):
    def add(fn):
        CASES.append((name, status, fn))
        return fn
    return add


def edit(name, fn, status=126):
    """a case that edits a fresh Image of the base binary with @fn"""
    def build(ctx):
        im = Image(ctx.base)
        fn(im)
        return im.bytes()
    CASES.append((name, status, build))


def script(name, line, status=126):
    """a #! script; @line may use {dir}, the corpus' absolute path"""
    CASES.append((name, status,
                  lambda ctx: (line.format(dir=ctx.outdir) +
                               "\necho should not run\n").encode()))


def truncate(name, at):
    CASES.append((name, 126, lambda ctx: ctx.base[:at(Image(ctx.base))]))


# the control: it runs, so the other failures are the files' fault
case("ok_copy", 0)(lambda ctx: ctx.base)

# junction must not be stricter than Linux, which never reads sections
edit("ok_no_section_headers", lambda im: im.eh.update(
    e_shoff=0, e_shnum=0, e_shstrndx=0), 0)
edit("ok_shoff_beyond_eof", lambda im: im.eh.update(e_shoff=1 << 40), 0)


@case("ok_truncated_section_headers", 0)
def _(ctx):
    im = Image(ctx.base)
    cut = im.eh["e_shoff"] + 64 + 10
    if cut >= len(ctx.base) or im.eh["e_shoff"] < max(
            p["p_offset"] + p["p_filesz"] for p in im.loads()):
        sys.exit("gen_corpus: base binary has no section headers at its end")
    return ctx.base[:cut]


case("empty_file")(lambda ctx: b"")

# truncated inside the ELF header, the program headers, a segment
truncate("trunc_ehdr_5", lambda im: 5)
truncate("trunc_ehdr_32", lambda im: 32)
truncate("trunc_ehdr_63", lambda im: 63)
truncate("trunc_phdrs_65", lambda im: im.phoff + 1)
truncate("trunc_phdrs_mid", lambda im: im.phoff + PHDR.size * (
    im.eh["e_phnum"] // 2) + 7)
truncate("trunc_phdrs_end", lambda im: im.phoff + PHDR.size *
         im.eh["e_phnum"] - 1)
truncate("trunc_text_segment", lambda im: text(im)["p_offset"] +
         text(im)["p_filesz"] // 2)
truncate("trunc_last_segment", lambda im: im.loads()[-1]["p_offset"] +
         im.loads()[-1]["p_filesz"] - 1)

# the identification bytes and the ELF header
edit("bad_magic", lambda im: set_ident(im, 3, b"X"))
edit("class_32", lambda im: set_ident(im, EI_CLASS, b"\x01"))
edit("big_endian", lambda im: set_ident(im, EI_DATA, b"\x02"))
edit("bad_ei_version", lambda im: set_ident(im, EI_VERSION, b"\x00"))
edit("bad_e_version", lambda im: im.eh.update(e_version=2))
edit("machine_aarch64", lambda im: im.eh.update(e_machine=EM_AARCH64))
edit("type_rel", lambda im: im.eh.update(e_type=ET_REL))
edit("type_core", lambda im: im.eh.update(e_type=ET_CORE))
edit("bad_ehsize", lambda im: im.eh.update(e_ehsize=52))
edit("bad_phentsize", lambda im: im.eh.update(e_phentsize=32))
edit("phnum_0", lambda im: im.eh.update(e_phnum=0))
edit("phnum_0xffff", lambda im: im.eh.update(e_phnum=0xffff))
edit("phoff_beyond_eof", lambda im: im.eh.update(
    e_phoff=len(im.data) + PAGE))
edit("phoff_overflow", lambda im: im.eh.update(e_phoff=U64 - 0x100))
edit("entry_outside_segments", lambda im: im.eh.update(e_entry=0x10000000))

# PT_LOAD fields, on the text segment
edit("load_filesz_gt_memsz", lambda im: text(im).update(
    p_filesz=text(im)["p_memsz"] + PAGE))
edit("load_offset_beyond_eof", lambda im: text(im).update(
    p_offset=page_up(len(im.data)) + text(im)["p_vaddr"] % PAGE + 16 * PAGE))
edit("load_offset_overflow", lambda im: text(im).update(
    p_offset=U64 - 16 * PAGE + text(im)["p_vaddr"] % PAGE))
edit("load_memsz_absurd", lambda im: text(im).update(p_memsz=1 << 50))
edit("load_vaddr_overflow", lambda im: text(im).update(
    p_vaddr=U64 - PAGE + text(im)["p_offset"] % PAGE))
edit("load_vaddr_kernel", lambda im: text(im).update(
    p_vaddr=0xffffffff80000000 + text(im)["p_offset"] % PAGE))
edit("load_align_not_pow2", lambda im: text(im).update(p_align=0x3000))
edit("load_vaddr_offset_incongruent", lambda im: text(im).update(
    p_vaddr=text(im)["p_vaddr"] + 0x10))


def overlap(im):
    a, b = im.loads()[1:3]
    b.update(p_vaddr=a["p_vaddr"], p_paddr=a["p_vaddr"],
             p_offset=a["p_offset"])


def out_of_order(im):
    i, j = [k for k, p in enumerate(im.ph) if p["p_type"] == PT_LOAD][1:3]
    im.ph[i], im.ph[j] = im.ph[j], im.ph[i]


def span_too_large(im):
    last = im.loads()[-1]
    last["p_vaddr"] += 65 << 30


def exec_at_0(im):
    if im.eh["e_type"] != ET_EXEC:
        sys.exit("gen_corpus: base binary is not ET_EXEC")
    first = im.loads()[0]
    first["p_vaddr"] = first["p_paddr"] = first["p_offset"] % PAGE


def no_load(im):
    for p in im.loads():
        p["p_type"] = PT_NULL


def bogus_phdr(im):
    (p,) = im.spare(1)
    p.update(p_type=PT_PHDR, p_vaddr=0x70000000, p_paddr=0x70000000,
             p_offset=im.phoff, p_filesz=PHDR.size * len(im.ph),
             p_memsz=PHDR.size * len(im.ph))


edit("load_overlap", overlap)
edit("load_out_of_order", out_of_order)
edit("load_span_too_large", span_too_large)
edit("exec_segment_at_0", exec_at_0)
edit("no_load_segments", no_load)
# Linux ignores PT_PHDR (AT_PHDR comes from the PT_LOAD holding e_phoff)
# and runs this file; so do we.
edit("phdr_outside_segments", bogus_phdr, status=0)


# PT_INTERP
def interp(name, path, filesz=None):
    def build(ctx):
        im = Image(ctx.base)
        p = path(ctx) if callable(path) else path
        im.make_interp(im.spare(1)[0], p, filesz)
        return im.bytes()
    CASES.append((name, 126, build))


def corpus_path(name):
    return lambda ctx: os.path.join(ctx.outdir, name).encode() + b"\0"


interp("interp_missing", b"/nonexistent/ld.so\0")
interp("interp_not_nul_terminated", GOOD_INTERP[:-1])
interp("interp_len_0", b"", 0)
interp("interp_len_5000", b"/" + b"a" * 4998 + b"\0")
interp("interp_embedded_nul", b"/lib64\0/ld-linux-x86-64.so.2\0")
interp("interp_newline", b"/nonexistent/ld\n.so\0")
interp("interp_directory", b"/\0")
interp("interp_malformed", corpus_path("machine_aarch64"))
interp("interp_has_interp", corpus_path("interp_missing"))
interp("interp_nonexec", corpus_path("nonexec_0644"))
interp("interp_script", corpus_path("script_missing_interp"))


@case("interp_offset_beyond_eof")
def _(ctx):
    im = Image(ctx.base)
    p = im.spare(1)[0]
    im.make_interp(p, GOOD_INTERP)
    p["p_offset"] = len(im.data) + PAGE
    return im.bytes()


@case("interp_twice")
def _(ctx):
    im = Image(ctx.base)
    for p in im.spare(2):
        im.make_interp(p, GOOD_INTERP)
    return im.bytes()


case("nonexec_0644")(lambda ctx: (ctx.base, 0o644))

# #! scripts
script("script_missing_interp", "#!/nonexistent/interp")
script("script_no_interp", "#!")
script("script_blank_interp", "#!  \t ")
script("script_interp_too_long", "#!/" + "x" * 300 + " arg")
script("script_interp_directory", "#!/")
script("script_interp_malformed", "#!{dir}/machine_aarch64")
script("script_interp_nonexec", "#!{dir}/nonexec_0644")
script("script_self_loop", "#!{dir}/script_self_loop")
# script_chain_depthN is N scripts deep before the binary: 4 levels work
for depth in range(1, 6):
    nxt = "script_chain_depth%d" % (depth - 1) if depth > 1 else "ok_copy"
    script("script_chain_depth%d" % depth, "#!{dir}/" + nxt,
           0 if depth <= 4 else 126)


class Ctx:
    def __init__(self, base, outdir):
        self.base = base
        self.outdir = outdir


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--base")
    ap.add_argument("--outdir")
    a = ap.parse_args()
    names = [n for n, _, _ in CASES]
    assert len(set(names)) == len(names), "duplicate corpus names"
    manifest = "".join("%s %d\n" % (n, s) for n, s, _ in CASES)
    if a.list:
        sys.stdout.write(manifest)
        return
    if not a.base or not a.outdir:
        ap.error("--base and --outdir are required without --list")
    with open(a.base, "rb") as f:
        base = f.read()
    outdir = os.path.abspath(a.outdir)
    os.makedirs(outdir, exist_ok=True)
    ctx = Ctx(base, outdir)
    for name, _, build in CASES:
        out = build(ctx)
        data, mode = out if isinstance(out, tuple) else (out, 0o755)
        path = os.path.join(outdir, name)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    with open(os.path.join(outdir, "MANIFEST"), "w") as f:
        f.write(manifest)


if __name__ == "__main__":
    main()
