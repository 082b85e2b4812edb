//! The ISO BMFF boxes of a synthetic recorder segment: `ftyp`, the `moov` with an H.264 track
//! (valid SPS/PPS in `avcC`, a keyframe a second) and an AAC track, and the small helpers that
//! build a box from its parts. `mod.rs` writes the `mdat` between them.

pub(super) fn bx(typ: &[u8; 4], parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = 8 + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&(len as u32).to_be_bytes());
    v.extend_from_slice(typ);
    for p in parts {
        v.extend_from_slice(p);
    }
    v
}

fn full(typ: &[u8; 4], version: u8, flags: u32, parts: &[&[u8]]) -> Vec<u8> {
    let mut head = flags.to_be_bytes();
    head[0] = version;
    let mut all: Vec<&[u8]> = vec![&head];
    all.extend_from_slice(parts);
    bx(typ, &all)
}

/// Writes bits MSB-first with Exp-Golomb codes, for the parameter sets.
struct Bits {
    out: Vec<u8>,
    acc: u8,
    n: u8,
}
impl Bits {
    fn new() -> Self {
        Bits {
            out: Vec::new(),
            acc: 0,
            n: 0,
        }
    }
    fn put(&mut self, v: u32, bits: u32) {
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | ((v >> i) & 1) as u8;
            self.n += 1;
            if self.n == 8 {
                self.out.push(self.acc);
                self.acc = 0;
                self.n = 0;
            }
        }
    }
    fn ue(&mut self, v: u32) {
        let x = u64::from(v) + 1;
        let len = 64 - x.leading_zeros();
        self.put(0, len - 1);
        for i in (0..len).rev() {
            self.put(((x >> i) & 1) as u32, 1);
        }
    }
    fn se(&mut self, v: i32) {
        self.ue(if v > 0 {
            (2 * v - 1) as u32
        } else {
            (-2 * v) as u32
        });
    }
    /// rbsp_trailing_bits, then emulation prevention.
    fn finish(mut self, header: u8) -> Vec<u8> {
        self.put(1, 1);
        while self.n != 0 {
            self.put(0, 1);
        }
        let mut nal = vec![header];
        let mut zeros = 0;
        for b in self.out {
            if zeros >= 2 && b <= 3 {
                nal.push(3);
                zeros = 0;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            nal.push(b);
        }
        nal
    }
}

/// A Constrained Baseline SPS and PPS for the picture size.
pub(crate) fn parameter_sets(w: u32, h: u32) -> (Vec<u8>, Vec<u8>) {
    let mut s = Bits::new();
    s.put(66, 8);
    s.put(0xC0, 8);
    s.put(40, 8);
    s.ue(0);
    s.ue(0); // log2_max_frame_num_minus4
    s.ue(2); // pic_order_cnt_type
    s.ue(1); // max_num_ref_frames
    s.put(0, 1);
    let (wm, hm) = (w.div_ceil(16), h.div_ceil(16));
    s.ue(wm - 1);
    s.ue(hm - 1);
    s.put(1, 1); // frame_mbs_only
    s.put(1, 1); // direct_8x8
    let (cr, cb) = ((wm * 16 - w) / 2, (hm * 16 - h) / 2);
    if cr > 0 || cb > 0 {
        s.put(1, 1);
        s.ue(0);
        s.ue(cr);
        s.ue(0);
        s.ue(cb);
    } else {
        s.put(0, 1);
    }
    s.put(0, 1); // no VUI
    let sps = s.finish(0x67);
    let mut p = Bits::new();
    p.ue(0);
    p.ue(0);
    p.put(0, 1);
    p.put(0, 1);
    p.ue(0);
    p.ue(0);
    p.ue(0);
    p.put(0, 1);
    p.put(0, 2);
    p.se(0);
    p.se(0);
    p.se(0);
    p.put(1, 1);
    p.put(0, 1);
    p.put(0, 1);
    (sps, p.finish(0x68))
}

pub(super) const AUDIO_RATE: u32 = 16_000;
pub(super) const AAC_FRAME: u32 = 1024;
pub(super) const AUDIO_PER_CHUNK: u32 = 16;

pub(super) struct Moov<'a> {
    pub(super) created: u32,
    pub(super) movie_ms: u64,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) vts: u32,
    pub(super) vdelta: u32,
    pub(super) vdur: u64,
    pub(super) vsizes: &'a [u32],
    pub(super) fps: u32,
    pub(super) voff: &'a [u64],
    pub(super) asizes: &'a [u32],
    pub(super) aoff: &'a [u64],
    pub(super) sps: &'a [u8],
    pub(super) pps: &'a [u8],
    pub(super) large: bool,
}

fn be32s(v: impl IntoIterator<Item = u32>) -> Vec<u8> {
    v.into_iter().flat_map(|x| x.to_be_bytes()).collect()
}

const MATRIX: [u32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];

fn tkhd(created: u32, id: u32, dur_ms: u64, volume: u16, w: u32, h: u32) -> Vec<u8> {
    let mut b = be32s([created, created, id, 0, dur_ms as u32, 0, 0]);
    b.extend_from_slice(&[0, 0, 0, 0]); // layer, alternate group
    b.extend_from_slice(&volume.to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend(be32s(MATRIX));
    b.extend(be32s([w << 16, h << 16]));
    full(b"tkhd", 0, 3, &[&b])
}

fn mdhd(created: u32, ts: u32, dur: u64) -> Vec<u8> {
    let mut b = be32s([created, created, ts, dur as u32]);
    b.extend_from_slice(&[0x55, 0xC4, 0, 0]); // language 'und'
    full(b"mdhd", 0, 0, &[&b])
}

fn hdlr(kind: &[u8; 4], name: &str) -> Vec<u8> {
    let mut b = vec![0u8; 4];
    b.extend_from_slice(kind);
    b.extend_from_slice(&[0u8; 12]);
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    full(b"hdlr", 0, 0, &[&b])
}

fn dinf() -> Vec<u8> {
    let url = full(b"url ", 0, 1, &[]);
    let dref = full(b"dref", 0, 0, &[&1u32.to_be_bytes(), &url]);
    bx(b"dinf", &[&dref])
}

fn stco(offsets: &[u64], large: bool) -> Vec<u8> {
    let n = (offsets.len() as u32).to_be_bytes();
    if large {
        let b: Vec<u8> = offsets.iter().flat_map(|o| o.to_be_bytes()).collect();
        full(b"co64", 0, 0, &[&n, &b])
    } else {
        full(
            b"stco",
            0,
            0,
            &[&n, &be32s(offsets.iter().map(|&o| o as u32))],
        )
    }
}

fn stsc(total: u32, per: u32) -> Vec<u8> {
    let full_chunks = total / per;
    let rem = total % per;
    let mut e = vec![];
    if full_chunks > 0 {
        e.push([1, per, 1]);
    }
    if rem > 0 {
        e.push([full_chunks + 1, rem, 1]);
    }
    let b = be32s(e.iter().flatten().copied());
    full(b"stsc", 0, 0, &[&(e.len() as u32).to_be_bytes(), &b])
}

pub(super) fn moov(m: &Moov) -> Vec<u8> {
    let mut mvhd = be32s([m.created, m.created, 1000, m.movie_ms as u32, 0x10000]);
    mvhd.extend_from_slice(&[1, 0, 0, 0]);
    mvhd.extend_from_slice(&[0u8; 8]);
    mvhd.extend(be32s(MATRIX));
    mvhd.extend_from_slice(&[0u8; 24]);
    mvhd.extend(be32s([3]));
    let mvhd = full(b"mvhd", 0, 0, &[&mvhd]);
    bx(b"moov", &[&mvhd, &video_trak(m), &audio_trak(m)])
}

/// The H.264 track: `avcC` from the stream's own parameter sets, a keyframe every second.
fn video_trak(m: &Moov) -> Vec<u8> {
    let mut avcc = vec![1, m.sps[1], m.sps[2], m.sps[3], 0xFF, 0xE1];
    avcc.extend_from_slice(&(m.sps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(m.sps);
    avcc.push(1);
    avcc.extend_from_slice(&(m.pps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(m.pps);
    let avcc = bx(b"avcC", &[&avcc]);
    let mut vse = vec![0u8; 6];
    vse.extend_from_slice(&1u16.to_be_bytes());
    vse.extend_from_slice(&[0u8; 16]);
    vse.extend_from_slice(&(m.width as u16).to_be_bytes());
    vse.extend_from_slice(&(m.height as u16).to_be_bytes());
    vse.extend(be32s([0x48_0000, 0x48_0000, 0]));
    vse.extend_from_slice(&1u16.to_be_bytes());
    let mut comp = [0u8; 32];
    let name = b"DSJ H.264";
    comp[0] = name.len() as u8;
    comp[1..1 + name.len()].copy_from_slice(name);
    vse.extend_from_slice(&comp);
    vse.extend_from_slice(&0x18u16.to_be_bytes());
    vse.extend_from_slice(&0xFFFFu16.to_be_bytes());
    let avc1 = bx(b"avc1", &[&vse, &avcc]);
    let vstsd = full(b"stsd", 0, 0, &[&1u32.to_be_bytes(), &avc1]);
    let vstts = full(
        b"stts",
        0,
        0,
        &[&be32s([1, m.vsizes.len() as u32, m.vdelta])],
    );
    let keys: Vec<u32> = (0..m.vsizes.len() as u32)
        .filter(|i| i % m.fps == 0)
        .map(|i| i + 1)
        .collect();
    let stss = full(
        b"stss",
        0,
        0,
        &[&(keys.len() as u32).to_be_bytes(), &be32s(keys)],
    );
    let vstsz = full(
        b"stsz",
        0,
        0,
        &[
            &be32s([0, m.vsizes.len() as u32]),
            &be32s(m.vsizes.iter().copied()),
        ],
    );
    let vstbl = bx(
        b"stbl",
        &[
            &vstsd,
            &vstts,
            &stss,
            &stsc(m.vsizes.len() as u32, m.fps),
            &vstsz,
            &stco(m.voff, m.large),
        ],
    );
    let vmhd = full(b"vmhd", 0, 1, &[&[0u8; 8]]);
    let vminf = bx(b"minf", &[&vmhd, &dinf(), &vstbl]);
    let vmdia = bx(
        b"mdia",
        &[
            &mdhd(m.created, m.vts, m.vdur),
            &hdlr(b"vide", "VideoHandler"),
            &vminf,
        ],
    );
    bx(
        b"trak",
        &[
            &tkhd(m.created, 1, m.movie_ms, 0, m.width, m.height),
            &vmdia,
        ],
    )
}

/// The audio track: AAC-LC, 16 kHz, mono.
fn audio_trak(m: &Moov) -> Vec<u8> {
    let asc = [0x14u8, 0x08];
    let dsi = [&[0x05u8, asc.len() as u8][..], &asc].concat();
    let mut dcd = vec![0x40u8, 0x15, 0, 0x03, 0];
    dcd.extend(be32s([32_000, 24_000]));
    dcd.extend_from_slice(&dsi);
    let dcd = [&[0x04u8, dcd.len() as u8][..], &dcd].concat();
    let mut es = vec![0u8, 2, 0];
    es.extend_from_slice(&dcd);
    es.extend_from_slice(&[0x06, 1, 2]);
    let es = [&[0x03u8, es.len() as u8][..], &es].concat();
    let esds = full(b"esds", 0, 0, &[&es]);
    let mut ase = vec![0u8; 6];
    ase.extend_from_slice(&1u16.to_be_bytes());
    ase.extend_from_slice(&[0u8; 8]);
    ase.extend_from_slice(&1u16.to_be_bytes());
    ase.extend_from_slice(&16u16.to_be_bytes());
    ase.extend_from_slice(&[0u8; 4]);
    ase.extend(be32s([AUDIO_RATE << 16]));
    let mp4a = bx(b"mp4a", &[&ase, &esds]);
    let astsd = full(b"stsd", 0, 0, &[&1u32.to_be_bytes(), &mp4a]);
    let astts = full(
        b"stts",
        0,
        0,
        &[&be32s([1, m.asizes.len() as u32, AAC_FRAME])],
    );
    let astsz = full(
        b"stsz",
        0,
        0,
        &[
            &be32s([0, m.asizes.len() as u32]),
            &be32s(m.asizes.iter().copied()),
        ],
    );
    let astbl = bx(
        b"stbl",
        &[
            &astsd,
            &astts,
            &stsc(m.asizes.len() as u32, AUDIO_PER_CHUNK),
            &astsz,
            &stco(m.aoff, m.large),
        ],
    );
    let smhd = full(b"smhd", 0, 0, &[&[0u8; 4]]);
    let aminf = bx(b"minf", &[&smhd, &dinf(), &astbl]);
    let adur = u64::from(AAC_FRAME) * m.asizes.len() as u64;
    let amdia = bx(
        b"mdia",
        &[
            &mdhd(m.created, AUDIO_RATE, adur),
            &hdlr(b"soun", "SoundHandler"),
            &aminf,
        ],
    );
    bx(
        b"trak",
        &[&tkhd(m.created, 2, m.movie_ms, 0x0100, 0, 0), &amdia],
    )
}
