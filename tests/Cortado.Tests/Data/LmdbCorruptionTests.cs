using Cortado.Data;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tests.Cli;
using Google.Protobuf;

namespace Cortado.Tests.Data;

/// <summary>
/// Damaged LMDBs get an error naming the database, never a signal from native code. Mutants the
/// check rejects are rejected in process; the few it lets through (flips in bytes LMDB does not
/// read for safety, such as padding) are opened by a child `cortado db-info`, which must end
/// with a clean exit, so a crash there fails this test instead of the test host.
/// </summary>
public class LmdbCorruptionTests
{
    private const int PageSize = 4096;

    /// <summary>A database of <paramref name="count"/> Datums of side x side pixels: small ones fill leaf pages under a branch, large ones use overflow pages.</summary>
    private static string Write(TempDir dir, string name, int count, int side)
    {
        string path = dir.File(name);
        using var writer = new LmdbWriter(path);
        var random = new Random(7);
        for (int i = 0; i < count; i++)
        {
            var pixels = new byte[side * side];
            random.NextBytes(pixels);
            var datum = new Datum { Channels = 1, Height = side, Width = side, Label = i % 3, Data = ByteString.CopyFrom(pixels) };
            writer.Put(i.ToString("D8"), datum.ToByteArray());
        }
        writer.Complete();
        return path;
    }

    private static string CopyWith(TempDir dir, string source, string name, Action<FileStream> change)
    {
        string copy = dir.File(name);
        Directory.CreateDirectory(copy);
        File.Copy(Path.Combine(source, "data.mdb"), Path.Combine(copy, "data.mdb"));
        using (var file = new FileStream(Path.Combine(copy, "data.mdb"), FileMode.Open, FileAccess.ReadWrite)) change(file);
        return copy;
    }

    private static void FlipBit(FileStream file, long offset, int bit)
    {
        file.Position = offset;
        int value = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(value ^ (1 << bit)));
    }

    [Fact]
    public void IntactDatabasesPassAndReadAsBefore()
    {
        using var dir = new TempDir();
        foreach (var (db, count) in new[] { (Write(dir, "small_lmdb", 400, 12), 400), (Write(dir, "large_lmdb", 12, 80), 12) })
        {
            LmdbIntegrity.Check(db);
            using var reader = new LmdbReader(db);
            Assert.Equal(count, reader.Count);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(PageSize)]
    [InlineData(2 * PageSize)]
    [InlineData(2 * PageSize + 1)]
    [InlineData(3 * PageSize)]
    [InlineData(-1)]
    public void ATruncatedFileIsNamedAsTruncated(int length)
    {
        using var dir = new TempDir();
        string db = Write(dir, "small_lmdb", 400, 12);
        string cut = CopyWith(dir, db, "cut_lmdb", file => file.SetLength(length >= 0 ? length : file.Length - PageSize));
        var error = Assert.Throws<DataException>(() => new LmdbReader(cut));
        Assert.StartsWith($"{cut}: the database is truncated or damaged: ", error.Message);
    }

    [Theory]
    [InlineData(PageSize + 40, "meta page 1 gives a page size")] // found by the fuzzer: SIGBUS in LMDB, which lays pages out by the newer meta's size
    [InlineData(PageSize + 92, "options 0x")]
    public void ADamagedMetaPageIsRefused(int offset, string expected)
    {
        using var dir = new TempDir();
        string db = Write(dir, "small_lmdb", 400, 12);
        string bad = CopyWith(dir, db, "bad_lmdb", file =>
        {
            file.Position = offset;
            file.Write(Enumerable.Repeat((byte)0xFF, 10).ToArray());
        });
        var error = Assert.Throws<DataException>(() => new LmdbReader(bad));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ANodeMarkedAsDuplicateDataIsRefused()
    {
        // Found by the fuzzer: F_DUPDATA on a record of a plain database made LMDB's cursor read the record as a page (SIGSEGV).
        using var dir = new TempDir();
        string db = Write(dir, "small_lmdb", 400, 12);
        byte[] original = File.ReadAllBytes(Path.Combine(db, "data.mdb"));
        long leaf = Enumerable.Range(2, original.Length / PageSize - 2).First(p => BitConverter.ToUInt16(original, p * PageSize + 10) == 0x02);
        int node = BitConverter.ToUInt16(original, (int)(leaf * PageSize) + 16);
        string bad = CopyWith(dir, db, "dup_lmdb", file => { file.Position = leaf * PageSize + node + 4; file.WriteByte(0x04); });
        var error = Assert.Throws<DataException>(() => new LmdbReader(bad));
        Assert.Contains("node flags 0x4", error.Message);
    }

    [Fact]
    public void FlippedBitsInPageHeadersAndNodePointersNeverReachNativeCode()
    {
        using var dir = new TempDir();
        var accepted = new List<string>();
        int mutants = 0;
        foreach (var (db, name) in new[] { (Write(dir, "small_lmdb", 400, 12), "small"), (Write(dir, "large_lmdb", 12, 80), "large") })
        {
            byte[] original = File.ReadAllBytes(Path.Combine(db, "data.mdb"));
            long pages = original.Length / PageSize;
            for (long page = 0; page < pages; page++)
            {
                // Pages inside an overflow run carry record bytes, not a header of their own.
                bool headed = BitConverter.ToInt64(original, (int)(page * PageSize)) == page;
                // The page header, the meta's fields and the first node pointers and nodes.
                foreach (int offset in new[] { 0, 1, 8, 10, 11, 12, 13, 14, 15, 16, 17, 20, 24, 40, 92, 94, 128, 136, 144 })
                {
                    foreach (int bit in new[] { 0, 4, 7 })
                    {
                        string copy = CopyWith(dir, db, $"{name}_{page}_{offset}_{bit}_lmdb", file => FlipBit(file, page * PageSize + offset, bit));
                        mutants++;
                        // A tree page's own number and its branch/leaf flag are what LMDB's asserts trip on: always caught.
                        bool structural = headed && page >= 2 && (offset is 0 or 1 || (offset == 10 && bit == 0));
                        try
                        {
                            LmdbIntegrity.Check(copy);
                            Assert.False(structural, $"a flip of bit {bit} at byte {offset} of page {page} of the {name} database passed the check");
                            accepted.Add(copy);
                        }
                        catch (DataException e) { Assert.Contains("the database is truncated or damaged", e.Message); }
                    }
                }
            }
        }
        Assert.True(mutants > 300, $"{mutants} mutants");
        // What passed the check (flips in padding, timestamps, record bytes) must still end cleanly in the real reader:
        // a sample, in child processes.
        foreach (var copy in accepted.Where((_, i) => i % Math.Max(1, accepted.Count / 16) == 0).Take(16))
        {
            var (code, _, error) = CortadoProcess.Run(dir.Path, "db-info", copy);
            Assert.True(code is 0 or 1, $"db-info {copy} ended with {code}: {error}");
            Assert.DoesNotContain("internal error", error);
        }
    }
}
