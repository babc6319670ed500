#!/usr/bin/env python3
# An experiment of 2026-11-28 (issue 18), not used by the project: makes the uWebSockets.js binary for
# Node 24 (ABI 137) that the npm package `uwebsockets` 3.0.6 ships (uws_linux_x64_137.node) load on
# glibc 2.36. Its only GLIBC_2.38 imports are the C23 strtol family (__isoc23_strtol, __isoc23_strtoul,
# __isoc23_strtoull, which also accept a 0b prefix); this rebinds them to strtol/strtoul/strtoull@GLIBC_2.2.5
# (each symbol's name moved to the suffix of its own string; the GLIBC_2.38 version need renamed).
#   python3 docs/uws-glibc236-patch.py IN.node OUT.node
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
b = bytearray(open(src, 'rb').read())
e_shoff, = struct.unpack_from('<Q', b, 0x28)
e_shentsize, e_shnum, e_shstrndx = struct.unpack_from('<HHH', b, 0x3A)
secs = []
for i in range(e_shnum):
    o = e_shoff + i * e_shentsize
    name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from('<IIQQQQIIQQ', b, o)
    secs.append(dict(name=name, type=typ, off=off, size=size, link=link, info=info, entsize=entsize, addr=addr))
shstr = secs[e_shstrndx]
def sname(s):
    o = shstr['off'] + s['name']; return bytes(b[o:b.index(0, o)]).decode()
by = {sname(s): s for s in secs}
dynsym, dynstr, verneed = by['.dynsym'], by['.dynstr'], by['.gnu.version_r']
def dstr(off):
    o = dynstr['off'] + off; return bytes(b[o:b.index(0, o)]).decode()
def elfhash(n):
    h = 0
    for c in n.encode():
        h = (h << 4) + c; g = h & 0xf0000000
        if g: h ^= g >> 24
        h &= ~g
    return h & 0xffffffff
# find the GLIBC_2.2.5 string offset in dynstr
raw = bytes(b[dynstr['off']:dynstr['off'] + dynstr['size']])
v225 = raw.index(b'GLIBC_2.2.5\0')
# patch verneed: rename the GLIBC_2.38 aux entry
o = verneed['off']
while True:
    vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from('<HHIII', b, o)
    a = o + vn_aux
    for _ in range(vn_cnt):
        vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from('<IHHII', b, a)
        if dstr(vna_name) == 'GLIBC_2.38':
            struct.pack_into('<IHHII', b, a, elfhash('GLIBC_2.2.5'), vna_flags, vna_other, v225, vna_next)
            print('vernaux GLIBC_2.38 -> GLIBC_2.2.5 (index', vna_other, ')')
        a += vna_next
        if vna_next == 0: break
    if vn_next == 0: break
    o += vn_next
# patch the three symbols' names to their classic suffix
n = dynsym['size'] // dynsym['entsize']
for i in range(n):
    so = dynsym['off'] + i * dynsym['entsize']
    st_name, = struct.unpack_from('<I', b, so)
    nm = dstr(st_name)
    if nm.startswith('__isoc23_'):
        struct.pack_into('<I', b, so, st_name + len('__isoc23_'))
        print('symbol', nm, '->', dstr(st_name + len('__isoc23_')))
open(dst, 'wb').write(b)
