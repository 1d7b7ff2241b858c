// Opens a file that `shmslot record` wrote, with @mcap/core's indexed reader (and @mcap/support's
// decompressors), and checks it against what record_and_check.sh published: one channel TOPIC with
// the segment's metadata, COUNT messages of `shmslot pub --generate` (bytes 0..7 the index, u64
// little-endian; bytes 8..15 FNV-1a-64 of bytes 16..end), sequences 0..COUNT-1, and the recording's
// metadata record saying nothing was missed.
//
//   node check_recording.js FILE TOPIC COUNT
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs/promises");
const { McapIndexedReader } = require("@mcap/core");
const { FileHandleReadable } = require("@mcap/nodejs");
const { loadDecompressHandlers } = require("@mcap/support");

function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h;
}

async function main() {
  const [path, topic, countText] = process.argv.slice(2);
  const count = Number(countText);
  const handle = await fs.open(path, "r");
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await loadDecompressHandlers(),
    });
    const channels = [...reader.channelsById.values()];
    assert.equal(channels.length, 1, "one channel");
    const channel = channels[0];
    assert.equal(channel.topic, topic);
    assert.equal(channel.messageEncoding, "shmslot.raw");
    for (const key of ["flink", "shm_name", "type_hash", "capacity", "slot_count", "kind", "reader", "mode"]) {
      assert.ok(channel.metadata.has(key), `channel metadata ${key}`);
    }
    assert.equal(channel.metadata.get("kind"), "shmslot");
    assert.equal(channel.metadata.get("mode"), "registered");
    assert.equal(reader.statistics.messageCount, BigInt(count), "statistics");
    let index = 0;
    for await (const m of reader.readMessages()) {
      assert.equal(m.sequence, index, "sequence");
      const data = Buffer.from(m.data);
      assert.equal(data.readBigUInt64LE(0), BigInt(index), `index in payload ${index}`);
      assert.equal(data.readBigUInt64LE(8), fnv1a64(data.subarray(16)), `checksum of payload ${index}`);
      assert.ok(m.publishTime > 0n && m.logTime > 0n, "times");
      ++index;
    }
    assert.equal(index, count, "messages read");
    const metadata = [];
    for await (const md of reader.readMetadata({ name: "shmslot.recording" })) metadata.push(md);
    assert.equal(metadata.length, 1, "the recording's metadata record");
    assert.equal(metadata[0].metadata.get("missed"), "0");
    assert.equal(metadata[0].metadata.get("recorded"), String(count));
    const compression = reader.chunkIndexes[0]?.compression || "none";
    console.log(`ok ${path}: ${count} samples of ${topic}, chunks compressed with ${compression}`);
  } finally {
    await handle.close();
  }
}

main().catch((error) => {
  console.error(`check_recording.js: ${error.stack ?? error}`);
  process.exit(1);
});
