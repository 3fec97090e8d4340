"""Reads Dendra's solution files and turns a scalar field into a picture,
with the Python standard library only (no numpy, VTK or matplotlib).

- read_pvtu(path): the points, cells and point data of all pieces of a .pvtu
  (deal.II's zlib-compressed, base64-encoded binary VTU).
- raster(data, name, ...): the field sampled on a regular pixel grid, in 2D
  or on the plane y = y0 of a 3D mesh (multilinear interpolation in each
  axis-aligned cell).
- write_png(path, image): an 8-bit grey PNG, 0 black .. 1 white.
- write_colour_png(path, image, colours): an RGB PNG, e.g. of material ids.
- ascii_art(image): the same as characters, for a terminal or a README.
"""
import base64
import os
import re
import struct
import zlib

_FORMATS = {"Float32": "f", "Float64": "d", "Int32": "i", "Int64": "q", "UInt8": "B"}


def _decode(text, kind):
    """One compressed binary DataArray: a header of uint32 (blocks, block
    size, last block size, compressed sizes) in its own base64 run, then the
    zlib blocks in another."""
    head = base64.b64decode(text[:8])
    blocks = struct.unpack("<I", head[:4])[0]
    header_bytes = 4 * (3 + blocks)
    header_chars = 4 * ((header_bytes + 2) // 3)
    header = struct.unpack("<%dI" % (3 + blocks), base64.b64decode(text[:header_chars])[:header_bytes])
    body = base64.b64decode(text[header_chars:])
    raw, start = b"", 0
    for size in header[3:]:
        raw += zlib.decompress(body[start:start + size])
        start += size
    code = _FORMATS[kind]
    return struct.unpack("<%d%s" % (len(raw) // struct.calcsize(code), code), raw)


def read_vtu(path):
    """Points (flat x, y, z list), connectivity, offsets and point data of one piece."""
    text = open(path).read()
    pattern = r'<DataArray type="(\w+)"((?: \w+="[^"]*")*) format="binary">\s*(\S+)\s*</DataArray>'
    piece = {"data": {}}
    for kind, attributes, payload in re.findall(pattern, text):
        name = re.search(r'Name="([^"]*)"', attributes)
        values = _decode(payload, kind)
        if name is None:
            piece["points"] = values
        elif name.group(1) in ("connectivity", "offsets", "types"):
            piece[name.group(1)] = values
        else:
            piece["data"][name.group(1)] = values
    return piece


def read_pvtu(path):
    """All pieces of a .pvtu, as a list of read_vtu() results."""
    folder = os.path.dirname(path)
    sources = re.findall(r'<Piece Source="([^"]+)"', open(path).read())
    return [read_vtu(os.path.join(folder, s)) for s in sources]


def raster(pieces, name, lower, upper, pixel, y0=None):
    """Field @p name on pixels of size @p pixel (m) over the box [lower,
    upper] = ((x0, z0), (x1, z1)); rows from top to bottom. 2D meshes: the
    second axis is y. 3D meshes: the plane y = @p y0. None where no cell
    covers a pixel."""
    columns = int(round((upper[0] - lower[0]) / pixel))
    rows = int(round((upper[1] - lower[1]) / pixel))
    image = [[None] * columns for _ in range(rows)]
    for piece in pieces:
        points, values = piece["points"], piece["data"][name]
        offsets, connectivity = piece["offsets"], piece["connectivity"]
        start = 0
        for end in offsets:
            vertices = connectivity[start:end]
            start = end
            _fill_cell(image, points, values, vertices, lower, pixel, y0)
    return image


def _fill_cell(image, points, values, vertices, lower, pixel, y0):
    xs = [points[3 * v] for v in vertices]
    ys = [points[3 * v + 1] for v in vertices]
    zs = [points[3 * v + 2] for v in vertices]
    if len(vertices) == 8:  # hexahedron: interpolate to the plane y = y0 first
        if not min(ys) <= y0 <= max(ys):
            return
        t = (y0 - min(ys)) / (max(ys) - min(ys))
        # VTK order: 0 (0,0,0) 1 (1,0,0) 2 (1,1,0) 3 (0,1,0), 4-7 the same at z = 1
        f = [values[vertices[i]] * (1 - t) + values[vertices[j]] * t for i, j in ((0, 3), (1, 2), (5, 6), (4, 7))]
        a0, a1, b0, b1 = min(xs), max(xs), min(zs), max(zs)
    else:  # quadrilateral: 0 (0,0) 1 (1,0) 2 (1,1) 3 (0,1)
        f = [values[v] for v in vertices]
        a0, a1, b0, b1 = min(xs), max(xs), min(ys), max(ys)
    rows, columns = len(image), len(image[0])
    c0 = max(0, int((a0 - lower[0]) / pixel))
    c1 = min(columns - 1, int((a1 - lower[0]) / pixel))
    for c in range(c0, c1 + 1):
        x = lower[0] + (c + 0.5) * pixel
        if not a0 <= x <= a1:
            continue
        s = (x - a0) / (a1 - a0)
        r0 = max(0, int((b0 - lower[1]) / pixel))
        r1 = min(rows - 1, int((b1 - lower[1]) / pixel))
        for r in range(r0, r1 + 1):
            y = lower[1] + (r + 0.5) * pixel
            if not b0 <= y <= b1:
                continue
            t = (y - b0) / (b1 - b0)
            value = (f[0] * (1 - s) + f[1] * s) * (1 - t) + (f[3] * (1 - s) + f[2] * s) * t
            image[rows - 1 - r][c] = value


def _png(path, width, height, colour_type, raw):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    with open(path, "wb") as png:
        png.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                  + chunk(b"IEND", b""))


def write_png(path, image, lowest=0.0, highest=1.0):
    """8-bit grey PNG of @p image (rows top to bottom); None is drawn grey."""
    def grey(v):
        if v is None:
            return 128
        return max(0, min(255, int(round(255 * (v - lowest) / (highest - lowest)))))

    raw = b"".join(b"\x00" + bytes(grey(v) for v in row) for row in image)
    _png(path, len(image[0]), len(image), 0, raw)


def write_colour_png(path, image, colours, missing=(255, 255, 255)):
    """RGB PNG of @p image (rows top to bottom): pixel value v (rounded to an
    integer, e.g. a material id) is drawn in colours[v], an (r, g, b) tuple;
    None and unknown values in @p missing."""
    def rgb(v):
        return colours.get(int(round(v)), missing) if v is not None else missing

    raw = b"".join(b"\x00" + b"".join(bytes(rgb(v)) for v in row) for row in image)
    _png(path, len(image[0]), len(image), 2, raw)


def ascii_art(image, threshold=0.5, every=2):
    """'#' where the field exceeds @p threshold, '.' elsewhere; every
    @p every-th pixel row and column."""
    return "\n".join("".join("#" if v is not None and v > threshold else "." for v in row[::every])
                     for row in image[::every])


def segments(row, threshold=0.5):
    """Number of runs of pixels above @p threshold in one pixel row."""
    count, inside = 0, False
    for v in row:
        above = v is not None and v > threshold
        count += above and not inside
        inside = above
    return count
