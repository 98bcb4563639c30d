// The Internet checksum (RFC 1071) for the capture generators: sum16 adds big-endian 16-bit words
// of buf[start, end) to acc, fold folds the sum and complements it.

export function sum16(buf, start, end, acc) {
  let i = start;
  for (; i + 1 < end; i += 2) acc += (buf[i] << 8) | buf[i + 1];
  if (i < end) acc += buf[i] << 8;
  return acc;
}

export function fold(acc) {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 65536);
  return ~acc & 0xffff;
}
