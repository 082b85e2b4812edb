//! Every supported container, from real encoder-made files in `sample-data/` (ffmpeg's x264,
//! AAC, MJPEG and PCM muxers, exiftool) and public camera files: the facts the catalog must hold.

use std::sync::OnceLock;

use crate::util::*;

/// The sample tree scanned once for all tests in this module.
fn sample_rows() -> &'static (crate::util::Shared, Vec<Row>, Vec<Row>) {
    static ROWS: OnceLock<(crate::util::Shared, Vec<Row>, Vec<Row>)> = OnceLock::new();
    ROWS.get_or_init(|| {
        let t = crate::util::shared_tmp("formats");
        let wh = t.path().join("wh");
        scan(&[&sample_data()], &wh, &[]);
        let files = rows(&wh.join("files"));
        let streams = rows(&wh.join("streams"));
        (t, files, streams)
    })
}

fn file(name: &str) -> &'static Row {
    by_name(&sample_rows().1, name)
}

fn close(r: &Row, col: &str, want: f64, tol: f64) {
    let v = num(r, col);
    assert!((v - want).abs() <= tol, "{col} = {v}, want {want} ± {tol}");
}

#[test]
fn every_sample_file_is_ok() {
    let rows = &sample_rows().1;
    assert_eq!(rows.len(), 12);
    for r in rows {
        assert_eq!(
            get(r, "status"),
            Some("ok"),
            "{:?}: {:?}",
            get(r, "path"),
            get(r, "error")
        );
        assert_eq!(get(r, "extension_matches"), Some("true"));
    }
}

#[test]
fn classic_mp4_from_a_recorder_layout() {
    let r = file("DSJ-A8-0001234_OF1023_20260312093015_0001.MP4");
    assert_eq!(get(r, "container"), Some("mp4"));
    assert_eq!(get(r, "media_kind"), Some("video"));
    assert_eq!(get(r, "top_level_layout"), Some("ftyp,free,mdat,moov"));
    close(r, "duration_s", 6.0, 0.05);
    assert_eq!(
        (get(r, "video_codec"), get(r, "video_profile")),
        (Some("h264"), Some("High"))
    );
    assert_eq!(
        (get(r, "width"), get(r, "height")),
        (Some("320"), Some("240"))
    );
    close(r, "frame_rate", 10.0, 1e-9);
    assert_eq!(get(r, "video_sample_count"), Some("60"));
    assert_eq!(
        (
            get(r, "audio_codec"),
            get(r, "audio_sample_rate"),
            get(r, "audio_channels")
        ),
        (Some("aac"), Some("16000"), Some("1"))
    );
    assert_eq!(
        get(r, "creation_time"),
        Some(utc_us("2026-03-12 01:30:15").to_string().as_str())
    );
    assert_eq!(
        (
            get(r, "creation_time_source"),
            get(r, "creation_time_basis")
        ),
        (Some("mvhd"), Some("utc"))
    );
    assert!(get(r, "encoder").is_some_and(|e| e.starts_with("Lavf")));
    assert!(get(r, "compressor_names").is_some_and(|e| e.contains("libx264")));
    // path facts
    assert_eq!(
        (get(r, "device_id"), get(r, "officer_id"), get(r, "unit")),
        (Some("DSJ-A8-0001234"), Some("OF1023"), Some("执法一大队"))
    );
    assert_eq!(get(r, "segment_seq"), Some("1"));
    assert_eq!(
        get(r, "name_time"),
        get(r, "creation_time"),
        "file-name time (Shanghai) equals the UTC container time"
    );
    assert_eq!(get(r, "edit_list_entries"), Some("2"), "one edit per track");
    assert_eq!(get(r, "sample_descriptions_max"), Some("1"));
    assert_eq!(get(r, "max_jump_s"), None, "continuous timing");
    let last = file("DSJ-A8-0001234_OF1023_20260312093027_0003.MP4");
    close(last, "duration_s", 3.0, 0.05);
    assert_eq!(get(last, "segment_seq"), Some("3"));
}

#[test]
fn fragmented_mp4() {
    let r = file("DSJ-F5-0000321_OF1024_20260312140000_0001.MP4");
    assert_eq!(get(r, "fragmented"), Some("true"));
    assert_eq!(get(r, "fragment_count"), Some("4"));
    assert_eq!(
        get(r, "top_level_layout"),
        Some("ftyp,moov,(moof,mdat)x4,mfra")
    );
    close(r, "duration_s", 4.0, 0.05);
    assert_eq!(get(r, "video_sample_count"), Some("40"));
    close(r, "frame_rate", 10.0, 1e-9);
    assert_eq!(
        get(r, "fragment_jump_s"),
        None,
        "fragments follow each other exactly"
    );
}

#[test]
fn quicktime_mov_and_device_folder_names() {
    let r = file("20260312_235800_0001.MOV");
    assert_eq!(
        (get(r, "container"), get(r, "major_brand")),
        (Some("mov"), Some("qt  "))
    );
    assert_eq!(get(r, "top_level_layout"), Some("ftyp,wide,mdat,moov"));
    close(r, "duration_s", 5.0, 0.05);
    assert_eq!(get(r, "device_id"), Some("DSJ-B2-0000077"));
    assert_eq!(get(r, "path_pattern"), Some("device_folder_date_time_seq"));
    // 23:58 in Shanghai is 15:58 UTC; this recorder wrote its local time into the UTC field.
    assert_eq!(
        get(r, "name_time"),
        Some(utc_us("2026-03-12 15:58:00").to_string().as_str())
    );
    assert_eq!(
        get(r, "creation_time"),
        Some(utc_us("2026-03-12 23:58:00").to_string().as_str())
    );
}

#[test]
fn mpeg_transport_stream() {
    let r = file("DSJ-C3-0000100_20260313080000_0001.TS");
    assert_eq!(
        (get(r, "container"), get(r, "media_kind")),
        (Some("mpegts"), Some("video"))
    );
    assert_eq!(
        (get(r, "video_codec"), get(r, "width"), get(r, "height")),
        (Some("h264"), Some("320"), Some("240"))
    );
    close(r, "frame_rate", 10.0, 1e-9);
    assert_eq!(
        (
            get(r, "audio_codec"),
            get(r, "audio_sample_rate"),
            get(r, "audio_channels")
        ),
        (Some("aac"), Some("16000"), Some("1"))
    );
    assert_eq!(get(r, "ts_continuity_errors"), Some("0"));
    assert_eq!(get(r, "max_jump_s"), None);
    close(r, "duration_s", 4.0, 0.3);
    assert_eq!(
        (get(r, "device_id"), get(r, "officer_id")),
        (Some("DSJ-C3-0000100"), None)
    );
    let streams: Vec<&Row> = sample_rows()
        .2
        .iter()
        .filter(|s| get(s, "path").is_some_and(|p| p.ends_with(".TS")))
        .collect();
    assert_eq!(streams.len(), 2);
    let video = streams
        .iter()
        .find(|s| get(s, "kind") == Some("video"))
        .expect("video stream");
    assert_eq!(
        (
            get(video, "sample_delta_typical"),
            get(video, "parameter_sets")
        ),
        (Some("9000"), Some("1"))
    );
}

#[test]
fn jpeg_with_exif() {
    let r = file("DSJ-A8-0001234_OF1023_20260312093100_0001.JPG");
    assert_eq!(
        (get(r, "container"), get(r, "media_kind")),
        (Some("jpeg"), Some("photo"))
    );
    assert_eq!(
        (get(r, "make"), get(r, "model")),
        (Some("ZFZX"), Some("DSJ-A8"))
    );
    assert_eq!(
        (get(r, "width"), get(r, "height")),
        (Some("320"), Some("240"))
    );
    assert_eq!(get(r, "creation_time_basis"), Some("offset +08:00"));
    assert_eq!(
        get(r, "creation_time"),
        Some(utc_us("2026-03-12 01:31:00").to_string().as_str())
    );
    close(r, "gps_lat", 31.2304, 1e-4);
    close(r, "gps_lon", 121.4737, 1e-4);
}

#[test]
fn broadcast_wav() {
    let r = file("AUD-R1-0000009_OF1023_20260312101500_0001.WAV");
    assert_eq!(
        (get(r, "container"), get(r, "media_kind")),
        (Some("wav"), Some("audio"))
    );
    assert_eq!(
        (
            get(r, "audio_codec"),
            get(r, "audio_sample_rate"),
            get(r, "audio_channels")
        ),
        (Some("pcm_s16le"), Some("8000"), Some("1"))
    );
    close(r, "duration_s", 2.0, 1e-6);
    assert_eq!(
        (
            get(r, "creation_time_source"),
            get(r, "creation_time_basis")
        ),
        (Some("bext"), Some("local Asia/Shanghai"))
    );
    assert_eq!(
        get(r, "creation_time"),
        Some(utc_us("2026-03-12 02:15:00").to_string().as_str())
    );
    assert_eq!(get(r, "make"), Some("AUD-R1"));
}

#[test]
fn avi() {
    let r = file("DSJ-D4-0000005_20260312120000_0001.AVI");
    assert_eq!(
        (get(r, "container"), get(r, "media_kind")),
        (Some("avi"), Some("video"))
    );
    assert_eq!(
        (get(r, "video_codec"), get(r, "width"), get(r, "height")),
        (Some("mjpeg"), Some("320"), Some("240"))
    );
    close(r, "frame_rate", 5.0, 1e-9);
    close(r, "duration_s", 2.0, 0.01);
    assert_eq!(
        get(r, "top_level_layout"),
        Some("RIFF(AVI ),LIST(hdrl),LIST(INFO),JUNK,LIST(movi),idx1")
    );
}

#[test]
fn names_with_spaces_and_chinese_are_kept() {
    let r = file("现场 照片 1.jpg");
    assert_eq!(
        get(r, "rel_path"),
        Some("执法一大队/案件 2026-031 补充材料/现场 照片 1.jpg")
    );
    let path = get(r, "path").expect("path");
    assert!(
        std::path::Path::new(path).exists(),
        "the catalog path opens the real file"
    );
    let hex: String = path.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(get(r, "path_bytes"), Some(hex.as_str()));
    assert_eq!(
        get(r, "device_id"),
        None,
        "no pattern matches a hand-made folder"
    );
}
