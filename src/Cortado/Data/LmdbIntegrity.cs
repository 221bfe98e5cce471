using System.Collections.Concurrent;
using System.IO.MemoryMappedFiles;
using Cortado.Errors;

namespace Cortado.Data;

/// <summary>
/// Checks an LMDB's data.mdb before the native library maps it. LMDB trusts its file: a
/// truncated file or a damaged page makes it read past the map (SIGBUS) or fail an assertion
/// (SIGABRT), killing the process. So both meta pages are checked, the last page is checked to
/// lie inside the file, and the main tree is walked once: every page's number, type and bounds,
/// every node's size, every overflow run. A database that passes is remembered by size and time.
/// Layout (LMDB 0.9, 64-bit): a 16-byte page header (page number, pad, flags, lower, upper);
/// nodes of 8 bytes (lo, hi, flags, key size) then key and data.
/// </summary>
internal static class LmdbIntegrity
{
    private const uint Magic = 0xBEEFC0DE;
    private const int PageHeader = 16, NodeHeader = 8, DbRecord = 48;
    private const ushort Branch = 0x01, Leaf = 0x02, Overflow = 0x04, Meta = 0x08;
    private const ushort BigData = 0x01;
    private const ulong NoRoot = ulong.MaxValue;

    private static readonly ConcurrentDictionary<string, (long Size, DateTime Written)> Checked = new();

    /// <summary>Throws a <see cref="DataException"/> naming the database when its file cannot be read safely.</summary>
    public static void Check(string folder)
    {
        string file = Path.Combine(folder, "data.mdb");
        var info = new FileInfo(file);
        string key = info.FullName;
        if (Checked.TryGetValue(key, out var seen) && seen == (info.Length, info.LastWriteTimeUtc)) return;
        string? problem = Problem(file, info.Length);
        if (problem != null) throw new DataException(folder, $"the database is truncated or damaged: {problem}");
        Checked[key] = (info.Length, info.LastWriteTimeUtc);
    }

    private static string? Problem(string file, long length)
    {
        if (length < PageHeader + 136 + 16) return $"data.mdb is {length} bytes, too short to hold LMDB's two meta pages";
        using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        var reader = new Pages(view, length);
        uint pageSize = reader.U32(PageHeader + 24); // the free DB's md_pad holds the page size
        if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) != 0) return $"meta page 0 gives a page size of {pageSize}";
        reader.PageSize = pageSize;
        if (length < 2L * pageSize) return $"data.mdb is {length} bytes, less than its two {pageSize}-byte meta pages";
        // LMDB finds meta page 1 at meta 0's page size, then lays out pages by the newer meta's: both must agree.
        uint pageSize1 = reader.U32(pageSize + PageHeader + 24);
        if (pageSize1 != pageSize) return $"meta page 1 gives a page size of {pageSize1}, meta page 0 of {pageSize}";
        var metas = new[] { ReadMeta(reader, 0), ReadMeta(reader, 1) };
        if (metas.FirstOrDefault(m => m.Problem != null) is { Problem: { } bad }) return bad;
        var meta = metas[0].TxnId >= metas[1].TxnId ? metas[0] : metas[1];
        long pages = length / pageSize;
        if (meta.LastPage >= (ulong)pages)
            return $"its last page is {meta.LastPage}, but data.mdb is {length} bytes ({pages} pages of {pageSize})";
        if (meta.Root == NoRoot) return meta.Entries == 0 ? null : $"the main tree has no root but claims {meta.Entries} records";
        var walk = new Walk(reader, meta.LastPage);
        string? problem = walk.Visit(meta.Root, depth: 1, meta.Depth);
        if (problem != null) return problem;
        return walk.Entries == meta.Entries ? null : $"the main tree holds {walk.Entries} records but its meta page says {meta.Entries}";
    }

    private sealed record MetaPage(ulong LastPage, ulong TxnId, ulong Root, ushort Depth, ulong Entries, string? Problem);

    private static MetaPage ReadMeta(Pages reader, int index)
    {
        long at = index * (long)reader.PageSize;
        MetaPage Bad(string why) => new(0, 0, 0, 0, 0, $"meta page {index} {why}");
        if ((reader.U16(at + 10) & Meta) == 0) return Bad("is not marked as a meta page");
        if (reader.U32(at + PageHeader) != Magic) return Bad("lacks LMDB's magic number (not an LMDB file?)");
        if (reader.U32(at + PageHeader + 4) != 1) return Bad($"has data version {reader.U32(at + PageHeader + 4)}; this reads version 1");
        long main = at + PageHeader + 24 + DbRecord;
        ushort flags = reader.U16(main + 4);
        // Caffe's converters open the main database without options; others (integer keys, duplicates) change how LMDB reads it.
        if (flags != 0) return Bad($"gives the main database options 0x{flags:x} (integer keys, duplicates, ...), which Caffe's converters never set");
        return new MetaPage(reader.U64(main + DbRecord), reader.U64(main + DbRecord + 8), reader.U64(main + 40), reader.U16(main + 6),
            reader.U64(main + 32), null);
    }

    /// <summary>A bounds-checked walk of the tree: no page twice, no page past the last, every offset inside its page.</summary>
    private sealed class Walk(Pages reader, ulong lastPage)
    {
        private readonly HashSet<ulong> _seen = [];
        public ulong Entries { get; private set; }

        public string? Visit(ulong page, int depth, int maxDepth)
        {
            if (page < 2 || page > lastPage) return $"a tree node points at page {page}, outside pages 2..{lastPage}";
            if (depth > maxDepth || depth > 64) return $"the tree is deeper at page {page} than the {maxDepth} levels its meta page gives";
            if (!_seen.Add(page)) return $"page {page} is reached twice (a cycle in the tree)";
            uint size = reader.PageSize;
            long at = (long)page * size;
            if (reader.U64(at) != page) return $"page {page} is labelled as page {reader.U64(at)}";
            ushort flags = reader.U16(at + 10), lower = reader.U16(at + 12), upper = reader.U16(at + 14);
            // On disk a page carries exactly one type flag (LMDB clears its in-memory flags before writing).
            bool branch = flags == Branch;
            if (flags != Leaf && !branch) return $"page {page} has page flags 0x{flags:x}, neither a branch nor a leaf";
            if (lower < PageHeader || lower > upper || upper > size || (lower - PageHeader) % 2 != 0)
                return $"page {page} has free-space bounds {lower}..{upper} outside its {size} bytes";
            int count = (lower - PageHeader) / 2;
            if (count == 0) return $"page {page} holds no nodes";
            if (branch != (depth < maxDepth)) return $"page {page} is a {(branch ? "branch" : "leaf")} at level {depth} of a {maxDepth}-level tree";
            for (int i = 0; i < count; i++)
            {
                long node = reader.U16(at + PageHeader + 2 * i);
                if (node < upper || node + NodeHeader > size) return $"node {i} of page {page} starts at offset {node}, outside the page's nodes";
                uint lo = reader.U16(at + node), hi = reader.U16(at + node + 2);
                ushort nodeFlags = reader.U16(at + node + 4), keySize = reader.U16(at + node + 6);
                if (node + NodeHeader + keySize > size) return $"the key of node {i} of page {page} runs past the page";
                if (branch)
                {
                    ulong child = lo | (ulong)hi << 16 | (ulong)nodeFlags << 32;
                    if (Visit(child, depth + 1, maxDepth) is { } problem) return problem;
                    continue;
                }
                ulong dataSize = lo | (ulong)hi << 16;
                // Sub-database and duplicate-data nodes cannot occur in a database without options; LMDB would read their data as pages.
                if ((nodeFlags & ~BigData) != 0) return $"node {i} of page {page} has node flags 0x{nodeFlags:x}, which a plain database never holds";
                if ((nodeFlags & BigData) != 0)
                {
                    if (node + NodeHeader + keySize + 8 > size) return $"the overflow pointer of node {i} of page {page} runs past the page";
                    if (OverflowProblem(reader.U64(at + node + NodeHeader + keySize), dataSize, page, i) is { } problem) return problem;
                }
                else if (node + NodeHeader + keySize + (long)dataSize > size) return $"the {dataSize}-byte record of node {i} of page {page} runs past the page";
                Entries++;
            }
            return null;
        }

        private string? OverflowProblem(ulong first, ulong dataSize, ulong page, int node)
        {
            string where = $"the record of node {node} of page {page}";
            if (first < 2 || first > lastPage) return $"{where} points at overflow page {first}, outside pages 2..{lastPage}";
            long at = (long)first * reader.PageSize;
            if (reader.U64(at) != first || reader.U16(at + 10) != Overflow) return $"{where} points at page {first}, which is not an overflow page";
            ulong run = reader.U32(at + 12);
            if (run == 0 || first + run - 1 > lastPage) return $"{where}: its {run} overflow pages from page {first} run past the last page {lastPage}";
            if (run * reader.PageSize < dataSize + PageHeader) return $"{where} claims {dataSize} bytes in {run} overflow pages";
            return null;
        }
    }

    /// <summary>Reads from the mapped file (LMDB writes in the host's order, little-endian here); past its end reads zero, never faults.</summary>
    private sealed class Pages(MemoryMappedViewAccessor view, long length)
    {
        public uint PageSize { get; set; }
        private bool Inside(long at, int bytes) => at >= 0 && at + bytes <= length;
        public ushort U16(long at) => Inside(at, 2) ? view.ReadUInt16(at) : (ushort)0;
        public uint U32(long at) => Inside(at, 4) ? view.ReadUInt32(at) : 0;
        public ulong U64(long at) => Inside(at, 8) ? view.ReadUInt64(at) : 0;
    }
}
