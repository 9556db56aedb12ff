using System.Collections;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using ArcFace.Data;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;
using TorchSharp.PyBridge;

namespace ArcFace.Backbones;

/// <summary>
/// Checks a <c>torch.save</c> zip before PyBridge reads it. PyBridge trusts the file: it neither checks an entry's
/// CRC-32 (a flipped byte loads as a changed weight) nor compares what the pickle declares with what the archive holds
/// (a 48 KB pickle can ask for gigabytes). Here every entry's CRC-32 is verified, and <c>data.pkl</c> is unpickled
/// once without reading any storage, to check each tensor's storage and shape against the entries' real sizes.
/// </summary>
static class CheckpointArchive
{
    static CheckpointArchive()
    {
        // Razorvine's constructor registry is global and PyBridge fills it in its static constructor: run that first,
        // then wrap its tensor constructors so that, given a storage descriptor from our scan, they describe instead.
        RuntimeHelpers.RunClassConstructor(typeof(PyTorchUnpickler).TypeHandle);
        foreach (var name in new[] { "_rebuild_tensor", "_rebuild_tensor_v2" })
            Unpickler.registerConstructor("torch._utils", name, new DescribingConstructor(ScanUnpickler.Registered($"torch._utils.{name}")));
    }

    /// <summary>Throws a <see cref="FaceDataException"/> naming the file and the entry or key when the archive is not sound.</summary>
    internal static void Verify(string path)
    {
        long fileLength = new FileInfo(path).Length;
        using var stream = File.OpenRead(path);
        try { Verify(new ZipArchive(stream, ZipArchiveMode.Read), path, fileLength); }
        catch (FaceDataException) { throw; }
        // ZipArchive reads the central directory and local headers lazily, and reports damage there with these.
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            throw new FaceDataException(path, null, null, $"not a zip archive as torch.save writes ({e.GetType().Name}: {e.Message}).", e);
        }
    }

    static void Verify(ZipArchive archive, string path, long fileLength)
    {
        using var zip = archive;
        foreach (var entry in zip.Entries) CheckCrc(entry, path, fileLength);
        // The same lookups as PyBridge's, so that the entries checked are the entries it reads.
        var pkl = zip.Entries.FirstOrDefault(e => e.Name.EndsWith("data.pkl"))
            ?? throw new FaceDataException(path, null, null, "the archive has no data.pkl entry; expected a torch.save zip of a state_dict.");
        using var scan = new ScanUnpickler(zip, path);
        object root;
        try { root = scan.loads(ReadEntry(pkl)); }
        catch (FaceDataException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)   // Razorvine reports garbage with many exception types
        {
            throw new FaceDataException(path, null, null, $"entry '{pkl.FullName}' is not a state_dict pickle ({e.GetType().Name}: {e.Message}).", e);
        }
        // Tensors first, so that an error names the state_dict key; then storages nothing names, and the total.
        if (root is IDictionary dict)
            foreach (DictionaryEntry item in dict)
                if (item.Value is TensorRef tensor) tensor.Check(path, item.Key);
        long total = scan.Storages.Sum(s => s.CheckAgainstEntry(path, null));
        DataLimits.Check(total, DataLimits.MaxCheckpointExpansion * fileLength, "the bytes its tensors declare in all", path);
    }

    static void CheckCrc(ZipArchiveEntry entry, string path, long fileLength)
    {
        // A deflated entry could expand without bound; torch.save stores entries, so a few times the file is ample.
        DataLimits.Check(entry.Length, DataLimits.MaxCheckpointExpansion * fileLength, $"entry '{entry.FullName}''s uncompressed size", path);
        uint crc = 0;
        long length = 0;
        var buffer = new byte[81920];
        try
        {
            using var data = entry.Open();
            for (int n; (n = data.Read(buffer)) > 0 && length <= entry.Length;)
            {
                crc = Crc32.Append(crc, buffer.AsSpan(0, n));
                length += n;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            throw new FaceDataException(path, null, null, $"entry '{entry.FullName}' does not read back ({e.Message}).", e);
        }
        if (length != entry.Length)
            throw new FaceDataException(path, null, null, $"entry '{entry.FullName}' holds {(length > entry.Length ? "more than " : "")}{length} bytes where the directory says {entry.Length}.");
        if (crc != entry.Crc32)
            throw new FaceDataException(path, null, null, $"entry '{entry.FullName}' fails its CRC-32 check (0x{crc:x8} computed, 0x{entry.Crc32:x8} recorded): the file is corrupt.");
    }

    static byte[] ReadEntry(ZipArchiveEntry entry)
    {
        var bytes = new byte[entry.Length];   // bounded by CheckCrc
        using var data = entry.Open();
        data.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>A storage as data.pkl declares it: PyBridge will read <see cref="Bytes"/> bytes of <see cref="Entry"/>.</summary>
    sealed record StorageRef(string Key, string Type, long Numel, int ElementSize, ZipArchiveEntry? Entry)
    {
        public long Bytes => Numel * ElementSize;

        /// <summary>Returns <see cref="Bytes"/> when the entry holds that many; <paramref name="tensor"/> names the user in errors.</summary>
        public long CheckAgainstEntry(string path, string? tensor)
        {
            string where = tensor is null ? "" : $"{tensor}: ";
            if (Entry is null) throw new FaceDataException(path, null, null, $"{where}storage '{Key}' has no entry data/{Key} in the archive.");
            return Bytes <= Entry.Length ? Bytes
                : throw new FaceDataException(path, null, null, $"{where}storage '{Key}' ({Type}) declares {Numel} elements ({Bytes} bytes), but entry '{Entry.FullName}' holds {Entry.Length} bytes.");
        }
    }

    /// <summary>A tensor as data.pkl declares it, to be checked against its storage.</summary>
    sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Stride)
    {
        public void Check(string path, object key)
        {
            string where = $"tensor '{key}'";
            Storage.CheckAgainstEntry(path, where);
            if (Shape.Length != Stride.Length || Offset < 0 || Shape.Any(d => d < 0) || Stride.Any(s => s < 0))
                throw new FaceDataException(path, null, null, $"{where}: shape ({string.Join(", ", Shape)}), stride ({string.Join(", ", Stride)}) and offset {Offset} do not describe a tensor.");
            // Elements and the last element's position, neither allowed past the storage (and so never overflowing).
            long elements = 1, last = Offset;
            foreach (var (size, stride) in Shape.Zip(Stride))
            {
                if (size == 0) { elements = 0; break; }
                if (elements > Storage.Numel / size || (stride > 0 && size - 1 > (Storage.Numel - last) / stride)) { elements = -1; break; }
                elements *= size;
                last += (size - 1) * stride;
            }
            if (elements < 0 || (elements > 0 && last >= Storage.Numel))
                throw new FaceDataException(path, null, null, $"{where} has shape {string.Join("×", Shape)}, more than its storage's {Storage.Numel} elements hold.");
        }
    }

    /// <summary>Unpickles data.pkl, answering each persistent id with a <see cref="StorageRef"/> instead of its bytes.</summary>
    sealed class ScanUnpickler(ZipArchive zip, string path) : Unpickler
    {
        public List<StorageRef> Storages { get; } = [];

        public static IObjectConstructor Registered(string name) => objectConstructors[name];

        protected override object persistentLoad(object pid)
        {
            if (pid is not object[] { Length: 5 } id || id[0] is not "storage" || id[1] is not ClassDictConstructor type || id[2] is not string key || id[4] is not (int or long))
                throw new FaceDataException(path, null, null, $"data.pkl has a persistent id that is not ('storage', type, key, location, numel).");
            long numel = Convert.ToInt64(id[4]);
            int size = type.name switch
            {
                "BoolStorage" or "ByteStorage" or "CharStorage" => 1,
                "HalfStorage" or "BFloat16Storage" or "ShortStorage" => 2,
                "FloatStorage" or "IntStorage" => 4,
                "DoubleStorage" or "LongStorage" or "ComplexFloatStorage" => 8,
                "ComplexDoubleStorage" => 16,
                _ => throw new FaceDataException(path, null, null, $"storage '{key}' has the unknown type {type.module}.{type.name}."),
            };
            if (numel < 0 || numel > int.MaxValue)   // PyBridge reads a storage into one byte[]
                throw new FaceDataException(path, null, null, $"storage '{key}' declares {numel} elements.");
            var storage = new StorageRef(key, type.name, numel, size, zip.Entries.FirstOrDefault(f => f.FullName.EndsWith($"data/{key}")));
            Storages.Add(storage);
            return storage;
        }
    }

    /// <summary>PyBridge's tensor constructor, except for a scan's storage descriptor, which it turns into a <see cref="TensorRef"/>.</summary>
    sealed class DescribingConstructor(IObjectConstructor pyBridge) : IObjectConstructor
    {
        public object construct(object[] args) =>
            args is [StorageRef storage, var offset, object[] shape, object[] stride, ..] && offset is int or long && shape.Concat(stride).All(d => d is int or long)
                ? new TensorRef(storage, Convert.ToInt64(offset), [.. shape.Select(Convert.ToInt64)], [.. stride.Select(Convert.ToInt64)])
                : args is [StorageRef, ..] ? throw new InvalidDataException("a tensor whose offset, shape or stride is not integers")
                : pyBridge.construct(args);
    }
}
