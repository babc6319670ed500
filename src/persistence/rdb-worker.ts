/*
 * Entry of the piscina pool that writes RDB files: each task encodes (LZF), checksums (CRC64) and
 * writes a batch of snapshot pieces to the file descriptor the main thread opened (see rdb-encode.ts).
 */

import { writePieces, type WriteTask, type WriteResult } from './rdb-encode.js';

export default function run(task: WriteTask): WriteResult {
  return writePieces(task);
}
