//! The compact facts of each file that sessions and rules work from (a million of them must fit
//! in memory), and the interning of their repeated text. The rows of the warehouse's tables
//! are in [`crate::store::tables`].

/// What the sessions and rules stages need to know of one file, kept for the whole run while
/// the full rows stream to Parquet. Compact on purpose: a million of these must fit in memory.
/// Its text (device, encoder, layout, status...) is in a [`TextFacts`] shared by every file
/// that has the same (a recorder's files mostly do), reached through `Deref`: `f.device_id`
/// reads the shared text's field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileFacts {
    /// Position in the `files` table (its order is the walk's path order).
    pub row: usize,
    pub path: Box<str>,
    pub size_bytes: i64,
    pub blake3: Option<Box<str>>,
    pub extension_matches: Option<bool>,
    pub segment_seq: Option<i32>,
    pub name_time_us: Option<i64>,
    pub creation_time_us: Option<i64>,
    pub duration_s: Option<f64>,
    pub edit_list_entries: Option<i32>,
    pub stream_count: Option<i32>,
    /// Coding parameters of the main video stream and audio stream.
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub frame_rate: Option<f64>,
    pub audio_sample_rate: Option<i32>,
    pub audio_channels: Option<i32>,
    pub sample_descriptions_max: Option<i32>,
    pub parameter_sets_max: Option<i32>,
    pub has_gps: bool,
    pub mtime_us: Option<i64>,
    pub birth_time_us: Option<i64>,
    /// The file system's identity of the file: device and inode (inode 0 when unknown).
    /// Names that share one are hard links to one file, not copies of it.
    pub fs_file: (i64, i64),
    pub sidecar_has_text: bool,
    /// What a healthy recording does not have (timestamp jumps, a frame-rate stretch, a
    /// sidecar's date), boxed: none for most files ([`FileFacts::odd`]).
    pub rare: Option<Box<Rare>>,
    /// The burned-in clock, as the keyframe stage read it (`files.osd_*`).
    pub osd: OsdFacts,
    /// The file's text facts, shared (see [`Interner`]).
    pub text: std::sync::Arc<TextFacts>,
}

/// The text facts of a file: few distinct values across a tree, so one copy serves every file
/// with the same ([`Interner::facts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TextFacts {
    pub status: Sym,
    pub error: Option<Sym>,
    pub container: Option<Sym>,
    pub media_kind: Option<Sym>,
    pub device_id: Option<Sym>,
    pub officer_id: Option<Sym>,
    pub unit: Option<Sym>,
    pub creation_time_basis: Option<Sym>,
    /// Software fingerprint: encoder | software | handler names | compressor names | brand.
    pub encoder: Option<Sym>,
    pub software: Option<Sym>,
    pub handler_names: Option<Sym>,
    pub compressor_names: Option<Sym>,
    pub major_brand: Option<Sym>,
    pub make: Option<Sym>,
    pub model: Option<Sym>,
    pub top_level_layout: Option<Sym>,
    pub video_codec: Option<Sym>,
    pub video_profile: Option<Sym>,
    pub audio_codec: Option<Sym>,
    /// A sidecar's classification (第十七条), matched against the checklist's moments.
    pub sidecar_category: Option<Sym>,
    /// The device number the display shows (`files.osd_device`).
    pub osd_device: Option<Sym>,
    /// The device number the display shows at the file's end (`files.osd_device_end`).
    pub osd_device_end: Option<Sym>,
    /// The digits of the device number both ends show surely (`files.osd_device_sure`).
    pub osd_device_sure: Option<Sym>,
    /// The encoder's habits (`files.coding_habits`).
    pub coding_habits: Option<Sym>,
    /// How the encoder cut and marked its pictures (`files.slice_habits`).
    pub slice_habits: Option<Sym>,
}

/// The facts most files do not have, kept out of line in [`FileFacts::rare`] (some 140 bytes
/// a file saved on a tree of healthy recordings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rare {
    pub max_jump_s: Option<f64>,
    pub max_jump_at_s: Option<f64>,
    /// How far the tracks of the other media kind fail to run on through that jump
    /// (`files.max_jump_other_s`): 0 where one runs on through it unbroken.
    pub max_jump_other_s: Option<f64>,
    /// Tracks whose edit list begins with an empty edit: a track that starts later than the
    /// movie (`files.edit_list_offsets`), no cut.
    pub edit_list_offsets: Option<i32>,
    /// A program stream's places of lost bytes, skipped to the next pack
    /// (`files.ps_lost_places`).
    pub ps_lost_places: Option<i32>,
    pub fragment_jump_s: Option<f64>,
    pub fragment_jump_at_s: Option<f64>,
    pub ts_pcr_jump_s: Option<f64>,
    pub ts_pcr_jump_at_s: Option<f64>,
    pub ts_continuity_errors: Option<i32>,
    pub sidecar_described_at_us: Option<i64>,
    /// A stretch of the main video track at another steady frame rate: start, length (s), rate.
    pub frame_rate_stretch: Option<(f64, f64, f64)>,
    /// The display inside that stretch: its offset to the file's timestamps there minus its
    /// offset at the start (`files.osd_stretch_step_s`), and that reading's confidence.
    pub osd_stretch: Option<(f32, f32)>,
    /// The display's offset to the file's timestamps at its last keyframe
    /// (`files.osd_end_offset_s`), kept only when it is more than [`END_OFFSET_APART_S`] from
    /// the offset at its first (`osd_offset_s`): a file whose container runs short of its
    /// clock, or with a jump. Otherwise the first's stands for it.
    pub osd_end_offset_s: Option<f32>,
    /// Whether the encoder coded the pictures either side of the video's timestamp jump one
    /// after the other (`files.jump_coded_across`).
    pub jump_coded_across: Option<bool>,
    /// Whether the encoder numbered its pictures on across both edges of the main video's
    /// stretch at another frame rate (`files.stretch_coded_across`).
    pub stretch_coded_across: Option<bool>,
    /// Read cut short, and larger or newer by the time the run's read was done: a file still
    /// being written (an upload the run overlapped; set by the custody stage, never stored).
    pub being_written: bool,
}

/// How far a file's display offset at its end must be from its offset at its start to be
/// kept apart ([`Rare::osd_end_offset_s`]): the display shows whole seconds, so an honest
/// file's two offsets differ by less than a second.
pub const END_OFFSET_APART_S: f64 = 1.0;

/// A file's display offset at its end as the rules keep it ([`Rare::osd_end_offset_s`]).
pub fn end_offset_apart(start: Option<f64>, end: Option<f64>) -> Option<f32> {
    let (start, end) = (start?, end?);
    ((end - start).abs() > END_OFFSET_APART_S).then_some(end as f32)
}

static NO_RARE: Rare = Rare {
    max_jump_s: None,
    max_jump_at_s: None,
    max_jump_other_s: None,
    edit_list_offsets: None,
    ps_lost_places: None,
    fragment_jump_s: None,
    fragment_jump_at_s: None,
    ts_pcr_jump_s: None,
    ts_pcr_jump_at_s: None,
    ts_continuity_errors: None,
    sidecar_described_at_us: None,
    frame_rate_stretch: None,
    osd_stretch: None,
    osd_end_offset_s: None,
    jump_coded_across: None,
    stretch_coded_across: None,
    being_written: false,
};

impl Rare {
    /// Boxed when it holds anything.
    pub fn boxed(self) -> Option<Box<Rare>> {
        (self != NO_RARE).then(|| Box::new(self))
    }
}

impl FileFacts {
    /// The file's rare facts (all `None` for most files).
    pub fn odd(&self) -> &Rare {
        self.rare.as_deref().unwrap_or(&NO_RARE)
    }
}

impl std::ops::Deref for FileFacts {
    type Target = TextFacts;
    fn deref(&self) -> &TextFacts {
        &self.text
    }
}

/// Changing a text fact gives the file a copy of its own (tests; the scan never does).
impl std::ops::DerefMut for FileFacts {
    fn deref_mut(&mut self) -> &mut TextFacts {
        std::sync::Arc::make_mut(&mut self.text)
    }
}

/// What the rules use of the keyframe stage's reading of a file's display. Seconds and
/// confidences as `f32` (a second's fraction is all the display shows): a recorder tree's every
/// video carries one, so it is kept small. The display's device number and the encoder's
/// habits are text facts ([`TextFacts`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsdFacts {
    pub start_us: Option<i64>,
    /// The display's time at the last keyframe (`files.osd_end`).
    pub end_us: Option<i64>,
    pub offset_s: Option<f32>,
    pub jump_s: Option<f32>,
    pub jump_at_s: Option<f32>,
    /// The weakest reading the jump rests on (`files.osd_jump_confidence`); `None` for rows
    /// written before it was kept.
    pub jump_confidence: Option<f32>,
    /// Whether the clock stepped inside a group of pictures (`files.osd_jump_inside_gop`).
    pub jump_inside_gop: Option<bool>,
    pub confidence: Option<f32>,
}

/// The three stretch columns, present together or not at all.
pub fn stretch(at: Option<f64>, len: Option<f64>, fps: Option<f64>) -> Option<(f64, f64, f64)> {
    Some((at?, len?, fps?))
}

/// A missing time or number where many are kept packed in fixed-size records (the previous
/// catalogue's index, the walked tree, the custody dates): `i64::MIN`, which no real value takes.
pub(crate) const MISSING: i64 = i64::MIN;

/// `v` packed into a record's `i64` ([`MISSING`] for `None`).
pub(crate) fn pack(v: Option<i64>) -> i64 {
    v.unwrap_or(MISSING)
}

/// A packed `i64` back as an `Option`.
pub(crate) fn unpack(v: i64) -> Option<i64> {
    (v != MISSING).then_some(v)
}

pub(crate) fn b(s: &Option<String>) -> Option<Box<str>> {
    s.as_deref().map(Box::from)
}

/// A text value shared by many files (a device id, an encoder name, a box layout): the
/// catalogue keeps one copy of each distinct value (see [`Interner`]).
pub type Sym = std::sync::Arc<str>;

pub(crate) fn sym(s: &Option<String>) -> Option<Sym> {
    s.as_deref().map(Sym::from)
}

/// Values numbered as they first come, 1 for the first (0 standing for none): a column of many
/// rows holding a few distinct values (devices, run times, case lists) keeps a number per row
/// and each distinct value here (twice: in number order and as the index's key; they are
/// few).
#[derive(Debug)]
pub struct Numbered<T> {
    values: Vec<T>,
    index: std::collections::HashMap<T, u32>,
}

impl<T> Default for Numbered<T> {
    fn default() -> Self {
        Numbered {
            values: Vec::new(),
            index: std::collections::HashMap::new(),
        }
    }
}

impl<T: Eq + std::hash::Hash + Clone> Numbered<T> {
    /// The number of `v`, numbering it if it is new.
    pub fn number(&mut self, v: T) -> u32 {
        if let Some(&k) = self.index.get(&v) {
            return k;
        }
        self.add(v)
    }

    /// The number of the value `q` stands for, made by `make` only when it is new (no value
    /// is built for one already numbered).
    pub fn number_of<Q>(&mut self, q: &Q, make: impl FnOnce(&Q) -> T) -> u32
    where
        T: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + ?Sized,
    {
        if let Some(&k) = self.index.get(q) {
            return k;
        }
        self.add(make(q))
    }

    fn add(&mut self, v: T) -> u32 {
        self.values.push(v.clone());
        let k = self.values.len() as u32;
        self.index.insert(v, k);
        k
    }

    /// The value numbered `k` (none for 0 or a number not given).
    pub fn get(&self, k: u32) -> Option<&T> {
        (k as usize).checked_sub(1).and_then(|i| self.values.get(i))
    }

    /// The values in number order (value `k` at `k - 1`), the index dropped.
    pub fn into_values(self) -> Vec<T> {
        self.values
    }
}

/// Keeps one copy of each distinct [`Sym`] value and of each distinct [`TextFacts`], so that
/// a million files' facts hold their few hundred distinct device ids, encoders and layouts,
/// and their few thousand combinations, once.
#[derive(Default)]
pub struct Interner {
    syms: std::collections::HashSet<Sym>,
    texts: std::collections::HashSet<std::sync::Arc<TextFacts>>,
    /// The last text facts given and their canonical copy: files come device by device, and
    /// batches read back share one value among rows that agree, so most calls end here.
    last: Option<(std::sync::Arc<TextFacts>, std::sync::Arc<TextFacts>)>,
}

impl Interner {
    pub fn sym(&mut self, v: &mut Sym) {
        if let Some(x) = self.syms.get(&**v) {
            *v = x.clone();
        } else {
            self.syms.insert(v.clone());
        }
    }
    pub fn opt(&mut self, v: &mut Option<Sym>) {
        if let Some(x) = v.as_mut() {
            self.sym(x);
        }
    }
    /// Replaces the text facts of `f` by their canonical copy.
    pub fn facts(&mut self, f: &mut FileFacts) {
        if let Some((given, canonical)) = &self.last
            && std::sync::Arc::ptr_eq(given, &f.text)
        {
            f.text = canonical.clone();
            return;
        }
        let given = f.text.clone();
        self.intern(f);
        self.last = Some((given, f.text.clone()));
    }

    fn intern(&mut self, f: &mut FileFacts) {
        if let Some(x) = self.texts.get(&f.text) {
            f.text = x.clone();
            return;
        }
        let t = std::sync::Arc::make_mut(&mut f.text);
        self.sym(&mut t.status);
        for v in [
            &mut t.error,
            &mut t.container,
            &mut t.media_kind,
            &mut t.device_id,
            &mut t.officer_id,
            &mut t.unit,
            &mut t.creation_time_basis,
            &mut t.encoder,
            &mut t.software,
            &mut t.handler_names,
            &mut t.compressor_names,
            &mut t.major_brand,
            &mut t.make,
            &mut t.model,
            &mut t.top_level_layout,
            &mut t.video_codec,
            &mut t.video_profile,
            &mut t.audio_codec,
            &mut t.sidecar_category,
            &mut t.osd_device,
            &mut t.osd_device_end,
            &mut t.osd_device_sure,
            &mut t.coding_habits,
            &mut t.slice_habits,
        ] {
            self.opt(v);
        }
        self.texts.insert(f.text.clone());
    }
}

impl FileFacts {
    /// The recording start: the file-name time (the recorder's own naming, zone-resolved) when
    /// there is one, else the container's creation time.
    pub fn start_us(&self) -> Option<i64> {
        self.name_time_us.or(self.creation_time_us)
    }

    /// An audio-video record of 第五条: video, audio or a photo (not a sidecar, a case
    /// document or anything else catalogued beside them): what the deadlines and retention
    /// apply to, and what the clock, metadata and duplicate rules judge.
    pub fn is_footage(&self) -> bool {
        matches!(
            self.media_kind.as_deref(),
            Some("video") | Some("audio") | Some("photo")
        )
    }

    /// Video or audio that can take part in a recording session.
    pub fn is_recording(&self) -> bool {
        matches!(self.media_kind.as_deref(), Some("video") | Some("audio"))
    }

    /// The recording end: start plus duration (the start alone when the duration is unknown).
    pub fn end_us(&self) -> Option<i64> {
        let d = self
            .duration_s
            .filter(|d| d.is_finite() && *d >= 0.0)
            .unwrap_or(0.0);
        self.start_us().map(|s| s.saturating_add((d * 1e6) as i64))
    }

    pub fn file_name(&self) -> &str {
        match memchr::memrchr(b'/', self.path.as_bytes()) {
            Some(i) => self.path.get(i + 1..).unwrap_or(&self.path),
            None => &self.path,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_files_facts_stay_small() {
        // A part's files are held as these (two parts of some 100,000 at a time, and every
        // file of a small scan): the layout is part of its memory budget. 336 since the
        // file system's identity came in (hard links are no copies).
        let n = std::mem::size_of::<super::FileFacts>();
        assert!(n <= 336, "FileFacts is {n} bytes");
    }

    #[test]
    fn values_are_numbered_from_one_once_each() {
        use super::{Numbered, Sym};
        let mut n: Numbered<Sym> = Numbered::default();
        assert_eq!(n.number_of("a", |s| Sym::from(s)), 1);
        assert_eq!(n.number(Sym::from("b")), 2);
        assert_eq!(n.number_of("a", |_| unreachable!("numbered already")), 1);
        assert_eq!((n.get(0), n.get(3)), (None, None));
        assert_eq!(n.get(2).map(|s| &**s), Some("b"));
        let v = n.into_values();
        assert_eq!(v.iter().map(|s| &**s).collect::<Vec<_>>(), ["a", "b"]);
    }
}
