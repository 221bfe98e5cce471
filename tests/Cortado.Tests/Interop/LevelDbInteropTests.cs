using System.Security.Cryptography;
using Cortado.Cli;
using Cortado.Data;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Data;

namespace Cortado.Tests.Interop;

/// <summary>
/// LevelDB, Caffe's default Data backend, through Debian's libleveldb1d: databases Cortado writes are
/// read by plyvel (Python's LevelDB binding, python3-plyvel), and databases plyvel writes are read by
/// Cortado's Data layer.
/// </summary>
public class LevelDbInteropTests
{
    [Fact]
    public void PlyvelReadsWhatConvertIdxWritesRecordForRecord()
    {
        using var dir = new TempDir();
        string leveldb = dir.File("fashion_leveldb"), lmdb = dir.File("fashion_lmdb");
        Assert.Equal(0, CommandLine.Run(["convert_mnist_data", FashionMnist.TestImages, FashionMnist.TestLabels, leveldb, "--backend=leveldb"], new StringWriter(), new StringWriter()));
        Assert.Equal(0, CommandLine.Run(["convert-idx", FashionMnist.TestImages, FashionMnist.TestLabels, lmdb], new StringWriter(), new StringWriter()));
        Assert.True(File.Exists(Path.Combine(leveldb, "CURRENT")));
        string report = PythonRunner.Run("""
            import hashlib, sys, plyvel
            db = plyvel.DB(sys.argv[1], create_if_missing=False)
            digest, count, first = hashlib.sha256(), 0, None
            for key, value in db:
                digest.update(key); digest.update(value); count += 1
                first = first or key
            print(count, first.decode(), digest.hexdigest())
            """, leveldb);
        // The same records, in the same key order, as the LMDB converter writes.
        using var reader = RecordDatabases.OpenReader(lmdb);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long i = 0; i < reader.Count; i++)
        {
            var (key, value) = reader.Next();
            hash.AppendData(System.Text.Encoding.ASCII.GetBytes(key));
            hash.AppendData(value);
        }
        Assert.Equal($"10000 00000000 {Convert.ToHexStringLower(hash.GetHashAndReset())}", report.Trim());
    }

    [Fact]
    public void TheDataLayerReadsALevelDbThatPlyvelWrote()
    {
        using var dir = new TempDir();
        string leveldb = dir.File("written_by_plyvel");
        // Three 1 x 2 x 2 Datum records, encoded by hand in protobuf's wire format: channels 1, height 2, width 2, data, label.
        PythonRunner.Run("""
            import sys, plyvel
            def varint(n):
                out = b""
                while True:
                    byte, n = n & 0x7F, n >> 7
                    out += bytes([byte | (0x80 if n else 0)])
                    if not n: return out
            db = plyvel.DB(sys.argv[1], create_if_missing=True)
            for i in range(3):
                pixels = bytes([10 * i, 10 * i + 1, 10 * i + 2, 10 * i + 3])
                datum = b"\x08\x01\x10\x02\x18\x02\x22" + varint(len(pixels)) + pixels + b"\x28" + varint(i + 4)
                db.put(b"%08d" % i, datum)
            db.close()
            """, leveldb);
        var param = TextFormat.Parse<NetParameter>($$"""
            layer { name: "data" type: "Data" top: "data" top: "label" transform_param { scale: 0.5 } data_param { source: "{{leveldb}}" batch_size: 4 } }
            """);
        using var net = new Net(param, Phase.Test);
        net.Forward();
        // Four records from three: the reader starts again at the first after the last, as Caffe's does.
        Assert.Equal([0f, 0.5f, 1f, 1.5f, 5f, 5.5f, 6f, 6.5f, 10f, 10.5f, 11f, 11.5f, 0f, 0.5f, 1f, 1.5f], net.Blob("data").HostData.ToArray());
        Assert.Equal([4f, 5f, 6f, 4f], net.Blob("label").HostData.ToArray());
        var output = new StringWriter();
        Assert.Equal(0, CommandLine.Run(["db-info", leveldb], output, new StringWriter()));
        Assert.Contains("3", output.ToString());
    }

    [Fact]
    public void ADamagedLevelDbIsNamed()
    {
        using var dir = new TempDir();
        string leveldb = dir.File("db");
        using (var writer = RecordDatabases.CreateWriter(leveldb, RecordBackend.LevelDb))
        {
            for (int i = 0; i < 50; i++) writer.Put(i.ToString("D8"), new byte[100]);
            writer.Complete();
        }
        foreach (var table in Directory.GetFiles(leveldb, "*.ldb").Concat(Directory.GetFiles(leveldb, "*.log")))
        {
            var bytes = File.ReadAllBytes(table);
            for (int i = 8; i < bytes.Length; i += 7) bytes[i] ^= 0x5A;
            File.WriteAllBytes(table, bytes);
        }
        var error = Assert.Throws<Cortado.Errors.DataException>(() => RecordDatabases.OpenReader(leveldb).Dispose());
        Assert.StartsWith(leveldb, error.Message);
    }
}
