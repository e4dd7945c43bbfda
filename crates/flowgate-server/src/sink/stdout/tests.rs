use std::time::Duration;

use super::*;
use crate::sink::{test_chunks, Delivery, Taken};
use flowgate_record::FlowType;

fn batch(n: usize) -> RecordBatch {
    let mut b = RecordBatch::new();
    for i in 0..n {
        let r = b.push();
        r.flow_type = FlowType::NetflowV5;
        r.bytes = i as u64;
    }
    b
}

#[test]
fn buffers_until_flush_then_counts_sent_and_reopens_on_reload() {
    let dir = std::env::temp_dir().join(format!("flowgate-stdout-sink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    let mut config = Config::default();
    config.sinks.stdout_mut().path = Some(a.clone());
    config.sinks.stdout_mut().fields = Some(vec!["type".into(), "bytes".into()]);
    let mut sink = StdoutSink::open(config.sinks.stdout_mut()).unwrap();
    assert_eq!(sink.send(&batch(2), &[]).unwrap(), 0, "buffered");
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "");
    assert_eq!(sink.flush().unwrap(), 2);
    assert_eq!(
        std::fs::read_to_string(&a).unwrap(),
        "{\"type\":\"NETFLOW_V5\",\"bytes\":0}\n{\"type\":\"NETFLOW_V5\",\"bytes\":1}\n"
    );
    // Rotation: the file is moved away, SIGHUP reopens the configured path.
    std::fs::rename(&a, &b).unwrap();
    sink.reload(&config).unwrap();
    sink.send(&batch(1), &[]).unwrap();
    assert_eq!(sink.flush().unwrap(), 1);
    assert_eq!(std::fs::read_to_string(&a).unwrap().lines().count(), 1);
    assert_eq!(std::fs::read_to_string(&b).unwrap().lines().count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_large_batch_is_written_without_waiting_for_flush() {
    let mut config = Config::default();
    let path =
        std::env::temp_dir().join(format!("flowgate-stdout-big-{}.json", std::process::id()));
    config.sinks.stdout_mut().path = Some(path.clone());
    let mut sink = StdoutSink::open(config.sinks.stdout_mut()).unwrap();
    let sent = sink.send(&batch(2000), &[]).unwrap();
    assert_eq!(sent, 2000);
    let _ = std::fs::remove_file(&path);
}

fn temp_file(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("flowgate-stdout-{tag}-{}.json", std::process::id()))
}

fn sink_writing(path: &Path, fields: Option<&[&str]>) -> (StdoutSink, Config) {
    let mut config = Config::default();
    let c = config.sinks.stdout_mut();
    c.path = Some(path.to_owned());
    c.fields = fields.map(|f| f.iter().map(|s| s.to_string()).collect());
    (StdoutSink::open(c).unwrap(), config)
}

fn next_chunk(rx: &crate::queue::QueueReceiver<Delivery>) -> Chunk {
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(Delivery::Chunk(c)) => c,
        Ok(Delivery::Batch(_)) => panic!("a shard sent a batch"),
        Err(e) => panic!("no chunk: {e:?}"),
    }
}

#[test]
fn worker_shards_render_the_lines_the_sink_writes() {
    let path = temp_file("shard");
    let (mut sink, _) = sink_writing(&path, Some(&["type", "bytes"]));
    let (chunks, rx) = test_chunks(8);
    let shards = sink
        .inline(&chunks)
        .expect("the stdout sink renders on the workers");
    let (mut a, mut b) = (shards.shard(), shards.shard());
    let taken = a.take(&batch(3), &[]);
    assert_eq!(
        taken,
        Taken {
            received: 3,
            sent: 0,
            dropped: None
        },
        "sent is counted when written"
    );
    b.take(&batch(1), &[]);
    assert!(
        rx.recv_timeout(Duration::ZERO).is_err(),
        "a chunk waits until full or flushed"
    );
    assert_eq!(a.flush(), Taken::default());
    assert_eq!(b.flush(), Taken::default());
    assert_eq!(a.flush(), Taken::default(), "nothing left to hand on");
    let (first, second) = (next_chunk(&rx), next_chunk(&rx));
    assert_eq!((first.records, second.records), (3, 1));
    assert_eq!(
        sink.write_chunk(first).unwrap(),
        0,
        "short chunks are buffered"
    );
    assert_eq!(sink.write_chunk(second).unwrap(), 0);
    assert_eq!(sink.flush().unwrap(), 4);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"type":"NETFLOW_V5","bytes":0}"#,
            r#"{"type":"NETFLOW_V5","bytes":1}"#,
            r#"{"type":"NETFLOW_V5","bytes":2}"#,
            r#"{"type":"NETFLOW_V5","bytes":0}"#,
        ]
    );
}

#[test]
fn full_chunks_go_at_once_and_a_full_queue_drops_them_counted() {
    let path = temp_file("full");
    let (mut sink, _) = sink_writing(&path, None);
    let (chunks, rx) = test_chunks(1);
    let shards = sink.inline(&chunks).unwrap();
    let mut shard = shards.shard();
    // Every field: several hundred bytes a line, so 800 lines fill chunks
    // three times or more, and a queue of one takes only the first.
    let mut lost = 0;
    for _ in 0..2 {
        let taken = shard.take(&batch(400), &[]);
        assert_eq!(taken.received, 400);
        if let Some((reason, n)) = taken.dropped {
            assert_eq!(reason, "queue_full");
            lost += n;
        }
    }
    assert!(lost > 0, "a queue of one chunk cannot take 800 lines");
    let first = next_chunk(&rx);
    let line_max = first
        .bytes
        .split(|&b| b == b'\n')
        .map(<[u8]>::len)
        .max()
        .unwrap()
        + 1;
    assert!(first.bytes.len() >= inline::CHUNK_BYTES);
    assert!(
        first.bytes.len() < inline::CHUNK_BYTES + 32 * line_max,
        "a chunk passes its size by less than one look's lines, whatever the batch"
    );
    let written = sink.write_chunk(first).unwrap();
    assert!(written > 0, "a full chunk is written at once");
    assert_eq!(shard.flush().dropped, None, "the queue has room again");
    let held = next_chunk(&rx);
    assert_eq!(
        written + lost + held.records,
        800,
        "every record written, dropped or held"
    );
    drop(rx);
    shard.take(&batch(1), &[]);
    assert_eq!(shard.flush().dropped, Some(("sink_stopped", 1)));
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(text.lines().count() as u64, written);
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each line is JSON");
    }
}

#[test]
fn shards_render_with_the_format_of_a_reload() {
    let path = temp_file("reload");
    let (mut sink, mut config) = sink_writing(&path, Some(&["type"]));
    let (chunks, rx) = test_chunks(8);
    let shards = sink.inline(&chunks).unwrap();
    let mut shard = shards.shard();
    shard.take(&batch(1), &[]);
    config.sinks.stdout_mut().fields = Some(vec!["bytes".into()]);
    config.sinks.stdout_mut().format = RecordFormat::Text;
    sink.reload(&config).unwrap();
    shard.take(&batch(1), &[]);
    shard.flush();
    let chunk = next_chunk(&rx);
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        String::from_utf8(chunk.bytes).unwrap(),
        "{\"type\":\"NETFLOW_V5\"}\nbytes=0\n"
    );
}

#[test]
fn a_render_thread_writes_the_lines_of_batches_a_worker_offers() {
    let path = temp_file("helper");
    let (mut sink, _) = sink_writing(&path, Some(&["type", "bytes"]));
    let (chunks, rx) = test_chunks(8);
    let shards = sink.inline(&chunks).unwrap();
    drop(chunks);
    assert_eq!(shards.helpers(), 1, "one render thread by default");
    let booked = std::sync::Arc::new(std::sync::Mutex::new(Taken::default()));
    let b = booked.clone();
    let helpers = crate::offload::Helpers::start("stdout", &shards, move |t: Taken| {
        b.lock().unwrap().received += t.received;
    })
    .unwrap()
    .expect("render_threads: 1 starts a helper");
    let offered = std::sync::Arc::new(crate::batch::Batch {
        flows: batch(5),
        ..Default::default()
    });
    assert!(helpers.offer(&offered));
    // The workers and the sink's own end let go: the helper hands on its
    // lines and ends, and with it the last sender of the sink's queue.
    drop((helpers, shards));
    let chunk = next_chunk(&rx);
    assert!(
        matches!(
            rx.recv_timeout(Duration::from_secs(5)),
            Err(crate::queue::RecvError::Closed)
        ),
        "the queue closes once the helper is done"
    );
    assert_eq!(chunk.records, 5);
    assert_eq!(
        booked.lock().unwrap().received,
        5,
        "received where rendered"
    );
    sink.write_chunk(chunk).unwrap();
    assert_eq!(sink.flush().unwrap(), 5);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let bytes: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["bytes"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(bytes, [0, 1, 2, 3, 4]);
}
