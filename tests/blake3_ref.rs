//! An independent BLAKE3, written from the specification (Aumasson, Neves, O'Connor, Wilcox-
//! O'Hearn, 2020) as a plain recursive tree: slow, obvious, and sharing no code with the
//! `blake3` crate that recaudit uses, so the catalog's hashes are checked against something
//! that could disagree.

const IV: [u32; 8] = [
    0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
];
const PERM: [usize; 16] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const PARENT: u32 = 4;
const ROOT: u32 = 8;
const CHUNK: usize = 1024;

fn g(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize, x: u32, y: u32) {
    s[a] = s[a].wrapping_add(s[b]).wrapping_add(x);
    s[d] = (s[d] ^ s[a]).rotate_right(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_right(12);
    s[a] = s[a].wrapping_add(s[b]).wrapping_add(y);
    s[d] = (s[d] ^ s[a]).rotate_right(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_right(7);
}

fn compress(cv: &[u32; 8], block: &[u32; 16], counter: u64, len: u32, flags: u32) -> [u32; 16] {
    let mut s = [
        cv[0],
        cv[1],
        cv[2],
        cv[3],
        cv[4],
        cv[5],
        cv[6],
        cv[7],
        IV[0],
        IV[1],
        IV[2],
        IV[3],
        counter as u32,
        (counter >> 32) as u32,
        len,
        flags,
    ];
    let mut m = *block;
    for round in 0..7 {
        g(&mut s, 0, 4, 8, 12, m[0], m[1]);
        g(&mut s, 1, 5, 9, 13, m[2], m[3]);
        g(&mut s, 2, 6, 10, 14, m[4], m[5]);
        g(&mut s, 3, 7, 11, 15, m[6], m[7]);
        g(&mut s, 0, 5, 10, 15, m[8], m[9]);
        g(&mut s, 1, 6, 11, 12, m[10], m[11]);
        g(&mut s, 2, 7, 8, 13, m[12], m[13]);
        g(&mut s, 3, 4, 9, 14, m[14], m[15]);
        if round < 6 {
            let old = m;
            for i in 0..16 {
                m[i] = old[PERM[i]];
            }
        }
    }
    for i in 0..8 {
        s[i] ^= s[i + 8];
        s[i + 8] ^= cv[i];
    }
    s
}

fn words(bytes: &[u8]) -> [u32; 16] {
    let mut padded = [0u8; 64];
    padded[..bytes.len()].copy_from_slice(bytes);
    let mut w = [0u32; 16];
    for i in 0..16 {
        w[i] = u32::from_le_bytes([
            padded[4 * i],
            padded[4 * i + 1],
            padded[4 * i + 2],
            padded[4 * i + 3],
        ]);
    }
    w
}

/// The last compression of a node, kept open so the root flag can still be added.
struct Node {
    cv: [u32; 8],
    block: [u32; 16],
    counter: u64,
    len: u32,
    flags: u32,
}

impl Node {
    fn chaining_value(&self) -> [u32; 8] {
        let o = compress(&self.cv, &self.block, self.counter, self.len, self.flags);
        let mut cv = [0u32; 8];
        cv.copy_from_slice(&o[..8]);
        cv
    }
}

fn chunk(data: &[u8], index: u64) -> Node {
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(64).collect()
    };
    let mut cv = IV;
    let n = blocks.len();
    for (i, b) in blocks.iter().enumerate() {
        let mut flags = 0;
        if i == 0 {
            flags |= CHUNK_START;
        }
        if i == n - 1 {
            flags |= CHUNK_END;
            return Node {
                cv,
                block: words(b),
                counter: index,
                len: b.len() as u32,
                flags,
            };
        }
        let o = compress(&cv, &words(b), index, 64, flags);
        cv.copy_from_slice(&o[..8]);
    }
    unreachable!("a chunk has at least one block")
}

fn subtree(data: &[u8], first_chunk: u64) -> Node {
    if data.len() <= CHUNK {
        return chunk(data, first_chunk);
    }
    // The left subtree takes the largest power-of-two number of whole chunks that leaves at
    // least one byte for the right.
    let chunks = data.len().div_ceil(CHUNK);
    let mut left_chunks = 1usize;
    while left_chunks * 2 < chunks {
        left_chunks *= 2;
    }
    let split = left_chunks * CHUNK;
    let l = subtree(&data[..split], first_chunk).chaining_value();
    let r = subtree(&data[split..], first_chunk + left_chunks as u64).chaining_value();
    let mut block = [0u32; 16];
    block[..8].copy_from_slice(&l);
    block[8..].copy_from_slice(&r);
    Node {
        cv: IV,
        block,
        counter: 0,
        len: 64,
        flags: PARENT,
    }
}

/// BLAKE3 of `data` as 64 lowercase hex digits.
pub fn hex(data: &[u8]) -> String {
    let root = subtree(data, 0);
    let o = compress(&root.cv, &root.block, 0, root.len, root.flags | ROOT);
    o[..8]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn reference_matches_the_published_empty_input_hash() {
    assert_eq!(
        hex(b""),
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    );
}
