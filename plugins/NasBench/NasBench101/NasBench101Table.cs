using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>Where a NAS-Bench-101 table came from; it decides what the table can answer.</summary>
public enum NasBench101Source
{
    /// <summary>The 20,001-cell slice shipped in this assembly: one run's validation accuracy, no test accuracy.</summary>
    Slice,

    /// <summary>The official <c>nasbench_only108.tfrecord</c>: every cell, three runs of validation and test accuracy.</summary>
    Official,
}

/// <summary>
/// NAS-Bench-101 results at 108 epochs, one row per cell (module hash). Immutable, so one instance serves every
/// task and worker of the process. Columns are plain arrays (423,624 rows of the official file fit in ~45 MB) and
/// every cell is packed into one <see cref="ulong"/> (<see cref="NasBench101Spec.Pack"/>).
/// </summary>
public sealed class NasBench101Table
{
    public const int SliceCount = 20_001;

    /// <summary>Cells in the whole benchmark (the official count of unique module hashes).</summary>
    public const int FullCount = 423_624;

    /// <summary>Training runs per cell in the official data; a query draws one of them.</summary>
    public const int OfficialRuns = 3;

    public const int Epochs = 108;

    internal const string SliceResourceName = "SemiNas.Plugins.NasBench.nasbench101_subset20k.csv.gz";

    private const string SliceHeader = "hash,n,adj,ops,val4,val12,val36,val108,train_time108_s,params";
    private const string CacheMagic = "SEMINAS-NB101-TABLE";
    private const int CacheVersion = 1;

    private static readonly Lazy<NasBench101Table> SharedSlice = new(LoadEmbeddedSlice, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConcurrentDictionary<string, Lazy<NasBench101Table>> OfficialTables = new(StringComparer.Ordinal);

    private readonly UInt128[] _hashes;
    private readonly ulong[] _cells;
    private readonly int[] _parameters;
    private readonly double[] _valid;
    private readonly double[] _test;
    private readonly double[] _trainingTime;
    private readonly Dictionary<UInt128, int> _rowOfHash;
    private readonly Dictionary<ulong, int> _rowOfCell;

    private NasBench101Table(NasBench101Source source, int runs, UInt128[] hashes, ulong[] cells, int[] parameters,
        double[] valid, double[] test, double[] trainingTime)
    {
        Source = source;
        Runs = runs;
        _hashes = hashes;
        _cells = cells;
        _parameters = parameters;
        _valid = valid;
        _test = test;
        _trainingTime = trainingTime;
        _rowOfHash = new Dictionary<UInt128, int>(hashes.Length);
        for (var row = 0; row < hashes.Length; row++)
            if (!_rowOfHash.TryAdd(hashes[row], row))
                throw new InvalidDataException($"Cell {FormatHash(hashes[row])} appears twice in the NAS-Bench-101 table.");
        // The stored form of each cell answers a lookup without hashing: sampled cells are always in that form.
        _rowOfCell = new Dictionary<ulong, int>(cells.Length);
        for (var row = 0; row < cells.Length; row++) _rowOfCell.TryAdd(cells[row], row);
    }

    /// <summary>The 20,001-cell slice embedded in this assembly, parsed on first access.</summary>
    public static NasBench101Table Slice => SharedSlice.Value;

    public NasBench101Source Source { get; }

    /// <summary>Runs recorded per cell: 1 in the slice, 3 in the official data.</summary>
    public int Runs { get; }

    public bool HasTestAccuracy => _test.Length > 0;

    public int Count => _hashes.Length;

    public string Hash(int row) => FormatHash(_hashes[row]);

    /// <summary>The cell of a row, pruned, as the benchmark stores it.</summary>
    public NasBench101Spec Cell(int row) => NasBench101Spec.Unpack(_cells[row]);

    public int Parameters(int row) => _parameters[row];

    /// <summary>Validation accuracy (a fraction) of one run after 108 epochs.</summary>
    public double ValidationAccuracy(int row, int run) => _valid[row * Runs + run];

    /// <summary>Test accuracy (a fraction) of one run; the slice has none.</summary>
    public double TestAccuracy(int row, int run) =>
        HasTestAccuracy ? _test[row * Runs + run] : throw new InvalidOperationException("The NAS-Bench-101 slice has no test accuracy.");

    public double TrainingSeconds(int row, int run) => _trainingTime[row * Runs + run];

    public double MeanValidationAccuracy(int row) => Mean(_valid, row);

    public double MeanTestAccuracy(int row) =>
        HasTestAccuracy ? Mean(_test, row) : throw new InvalidOperationException("The NAS-Bench-101 slice has no test accuracy.");

    /// <summary>The row of a module hash (32 hex digits), or -1.</summary>
    public int RowOf(string hash) =>
        UInt128.TryParse(hash, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var key) && hash.Length == 32
            ? _rowOfHash.GetValueOrDefault(key, -1)
            : -1;

    /// <summary>
    /// The row whose stored cell is exactly <paramref name="cell"/> (same vertex order), or -1. An isomorphic cell in
    /// another vertex order is not found here: look it up by <see cref="RowOf(string)"/> with its hash.
    /// </summary>
    public int RowOfStoredCell(NasBench101Spec cell) => _rowOfCell.GetValueOrDefault(cell.Pack(), -1);

    /// <summary>Reads a table in the layout of Data/nasbench101_subset20k.csv.gz (gzip-compressed CSV).</summary>
    public static NasBench101Table LoadSlice(Stream gzipCsv, string displayName)
    {
        using var gzip = new GZipStream(gzipCsv, CompressionMode.Decompress, leaveOpen: true);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{displayName} is empty.");
        if (header != SliceHeader)
            throw new InvalidDataException($"{displayName}, line 1: the header is '{header}'; expected '{SliceHeader}'.");

        var hashes = new List<UInt128>(SliceCount);
        var cells = new List<ulong>(SliceCount);
        var parameters = new List<int>(SliceCount);
        var valid = new List<double>(SliceCount);
        var times = new List<double>(SliceCount);
        var lineNumber = 1;
        Span<int> ops = stackalloc int[NasBench101Spec.MaxVertices];
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var fields = new SliceFields(line, displayName, lineNumber);
            var hash = fields.Hash();
            var n = fields.Int("n");
            var adjacency = fields.Next("adj");
            var opDigits = fields.Next("ops");
            if (opDigits.Length != Math.Max(0, n - 2)) throw fields.Invalid("ops", $"{opDigits.Length} digits for n = {n}");
            for (var i = 0; i < opDigits.Length; i++)
            {
                ops[i] = opDigits[i] - '0';
                if ((uint)ops[i] >= NasBench101Spec.OperationCount) throw fields.Invalid("ops", "digits must be 0, 1 or 2");
            }
            fields.Double("val4");
            fields.Double("val12");
            fields.Double("val36");
            var val108 = fields.Double("val108");
            var time = fields.Double("train_time108_s");
            var parameterCount = fields.Int("params");
            fields.EnsureEnd();

            NasBench101Spec cell;
            try
            {
                cell = NasBench101Spec.Parse(adjacency, ops[..opDigits.Length].ToArray());
            }
            catch (FormatException e)
            {
                throw fields.Invalid("adj", e.Message);
            }
            if (cell.VertexCount != n) throw fields.Invalid("n", $"{n} but the matrix has {cell.VertexCount} vertices");
            hashes.Add(hash);
            cells.Add(cell.Pack());
            parameters.Add(parameterCount);
            valid.Add(val108);
            times.Add(time);
        }
        return new NasBench101Table(NasBench101Source.Slice, 1, hashes.ToArray(), cells.ToArray(), parameters.ToArray(),
            valid.ToArray(), [], times.ToArray());
    }

    /// <summary>
    /// The official data at <paramref name="tfRecordPath"/>, shared by every task of the process that names the
    /// same file. The first load in a process reads <paramref name="cachePath"/> when it belongs to that file (same
    /// size and modification time), else converts the TFRecord file and writes the cache for next time.
    /// </summary>
    public static NasBench101Table LoadOfficial(string tfRecordPath, string cachePath)
    {
        var key = Path.GetFullPath(tfRecordPath) + "\n" + Path.GetFullPath(cachePath);
        var lazy = OfficialTables.GetOrAdd(key, _ => new Lazy<NasBench101Table>(
            () => LoadOfficialUncached(tfRecordPath, cachePath), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed load (missing file, corrupted data) must not stick: the user may fix the file and retry.
            OfficialTables.TryRemove(new KeyValuePair<string, Lazy<NasBench101Table>>(key, lazy));
            throw;
        }
    }

    /// <summary>As <see cref="LoadOfficial"/> but without the process-wide sharing; reports whether the cache was used.</summary>
    public static NasBench101Table LoadOfficialUncached(string tfRecordPath, string cachePath) =>
        LoadOfficialUncached(tfRecordPath, cachePath, out _);

    public static NasBench101Table LoadOfficialUncached(string tfRecordPath, string cachePath, out bool fromCache)
    {
        var source = new FileInfo(tfRecordPath);
        if (!source.Exists)
            throw new FileNotFoundException(
                $"The NAS-Bench-101 data file '{tfRecordPath}' does not exist. Download nasbench_only108.tfrecord " +
                "(see plugins/NasBench/Data/README.md) or leave dataFile empty to use the shipped 20,001-cell slice.", tfRecordPath);
        var stamp = (source.Length, source.LastWriteTimeUtc.Ticks);
        if (TryReadCache(cachePath, stamp) is { } cached)
        {
            fromCache = true;
            return cached;
        }
        NasBench101Table table;
        using (var stream = new FileStream(tfRecordPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
            table = ReadTfRecord(stream, tfRecordPath);
        try
        {
            table.WriteCache(cachePath, stamp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The table is good; only the next start is slower. Say so, since the fix (cacheFile) is the user's.
            Console.Error.WriteLine($"warning: the converted NAS-Bench-101 table could not be cached at '{cachePath}' " +
                                    $"({e.Message}); every run will convert '{tfRecordPath}' again. Set cacheFile to a writable place.");
        }
        fromCache = false;
        return table;
    }

    /// <summary>
    /// Converts an official TFRecord file: every record is one run of one cell; the 108-epoch runs are kept (the
    /// full file's 4/12/36-epoch runs are skipped) and each cell must have exactly three of them.
    /// </summary>
    public static NasBench101Table ReadTfRecord(Stream stream, string displayName)
    {
        var rowOfHash = new Dictionary<string, int>(StringComparer.Ordinal);
        var hashes = new List<UInt128>();
        var cells = new List<ulong>();
        var parameters = new List<int>();
        var runCounts = new List<int>();
        // Three slots per cell, filled as its runs arrive (they need not be adjacent in the file); only the numbers
        // are kept, so converting 1.27 million records stays within tens of megabytes.
        var valid = new List<double>();
        var test = new List<double>();
        var time = new List<double>();
        TfRecordFile.Read(stream, displayName, (record, data) =>
        {
            NasBench101Run run;
            try
            {
                run = NasBench101Record.Parse(data);
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{displayName}: record {record + 1}: {e.Message}.", e);
            }
            if (run.Epochs != Epochs) return;
            if (!rowOfHash.TryGetValue(run.Hash, out var row))
            {
                row = hashes.Count;
                rowOfHash.Add(run.Hash, row);
                hashes.Add(ParseHash(run.Hash));
                cells.Add(run.Spec.Pack());
                parameters.Add(run.TrainableParameters);
                runCounts.Add(0);
                for (var slot = 0; slot < OfficialRuns; slot++)
                {
                    valid.Add(double.NaN);
                    test.Add(double.NaN);
                    time.Add(double.NaN);
                }
            }
            else if (cells[row] != run.Spec.Pack())
            {
                throw new InvalidDataException($"{displayName}: record {record + 1}: cell {run.Hash} has another adjacency or " +
                                               "operations than in its earlier records.");
            }
            var index = runCounts[row]++;
            if (index >= OfficialRuns)
                throw new InvalidDataException($"{displayName}: record {record + 1}: cell {run.Hash} has more than " +
                                               $"{OfficialRuns} {Epochs}-epoch runs; the official data has {OfficialRuns} per cell.");
            valid[row * OfficialRuns + index] = run.ValidationAccuracy;
            test[row * OfficialRuns + index] = run.TestAccuracy;
            time[row * OfficialRuns + index] = run.TrainingTime;
        });
        if (hashes.Count == 0)
            throw new InvalidDataException($"{displayName} holds no {Epochs}-epoch NAS-Bench-101 records.");
        for (var row = 0; row < hashes.Count; row++)
            if (runCounts[row] != OfficialRuns)
                throw new InvalidDataException($"{displayName}: cell {FormatHash(hashes[row])} has {runCounts[row]} " +
                                               $"{Epochs}-epoch runs; the official data has {OfficialRuns} per cell.");
        return new NasBench101Table(NasBench101Source.Official, OfficialRuns, hashes.ToArray(), cells.ToArray(),
            parameters.ToArray(), valid.ToArray(), test.ToArray(), time.ToArray());
    }

    internal static string FormatHash(UInt128 hash) => hash.ToString("x32", CultureInfo.InvariantCulture);

    private static UInt128 ParseHash(string hash) =>
        UInt128.Parse(hash, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private double Mean(double[] values, int row)
    {
        var sum = 0.0;
        for (var run = 0; run < Runs; run++) sum += values[row * Runs + run];
        return sum / Runs;
    }

    // The cache is the columns as raw little-endian arrays behind a header that names the source file's size and
    // modification time, so a replaced data file is converted again instead of answered from stale numbers.
    private void WriteCache(string cachePath, (long Length, long Ticks) stamp)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(cachePath))!;
        Directory.CreateDirectory(directory);
        var temporary = cachePath + $".{Environment.ProcessId}.tmp";
        try
        {
            WriteCacheFile(temporary, stamp);
            File.Move(temporary, cachePath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private void WriteCacheFile(string temporary, (long Length, long Ticks) stamp)
    {
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var writer = new BinaryWriter(stream, Encoding.UTF8))
        {
            writer.Write(CacheMagic);
            writer.Write(CacheVersion);
            writer.Write(stamp.Length);
            writer.Write(stamp.Ticks);
            writer.Write((int)Source);
            writer.Write(Runs);
            writer.Write(Count);
            writer.Write(_test.Length);
            writer.Write(MemoryMarshal.AsBytes(_hashes.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(_cells.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(_parameters.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(_valid.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(_test.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(_trainingTime.AsSpan()));
        }
    }

    private static NasBench101Table? TryReadCache(string cachePath, (long Length, long Ticks) stamp)
    {
        if (!BitConverter.IsLittleEndian || !File.Exists(cachePath)) return null;
        try
        {
            using var stream = new FileStream(cachePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (reader.ReadString() != CacheMagic || reader.ReadInt32() != CacheVersion) return null;
            if (reader.ReadInt64() != stamp.Length || reader.ReadInt64() != stamp.Ticks) return null;
            var source = (NasBench101Source)reader.ReadInt32();
            var runs = reader.ReadInt32();
            var count = reader.ReadInt32();
            var testLength = reader.ReadInt32();
            if (runs is < 1 or > OfficialRuns || count is < 1 or > 10 * FullCount || (testLength != 0 && testLength != count * runs))
                return null;
            var hashes = ReadArray<UInt128>(stream, count);
            var cells = ReadArray<ulong>(stream, count);
            var parameters = ReadArray<int>(stream, count);
            var valid = ReadArray<double>(stream, count * runs);
            var test = ReadArray<double>(stream, testLength);
            var time = ReadArray<double>(stream, count * runs);
            if (stream.Position != stream.Length) return null;
            return new NasBench101Table(source, runs, hashes, cells, parameters, valid, test, time);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
        {
            // An unreadable or cut cache is rebuilt from the data file.
            return null;
        }
    }

    private static T[] ReadArray<T>(Stream stream, int count) where T : unmanaged
    {
        var array = new T[count];
        stream.ReadExactly(MemoryMarshal.AsBytes(array.AsSpan()));
        return array;
    }

    private static NasBench101Table LoadEmbeddedSlice()
    {
        using var stream = typeof(NasBench101Table).Assembly.GetManifestResourceStream(SliceResourceName)
            ?? throw new InvalidOperationException(
                $"The NAS-Bench-101 slice '{SliceResourceName}' is missing from {typeof(NasBench101Table).Assembly.GetName().Name}.");
        var table = LoadSlice(stream, "nasbench101_subset20k.csv.gz");
        if (table.Count != SliceCount)
            throw new InvalidDataException($"The shipped NAS-Bench-101 slice has {table.Count} rows; expected {SliceCount}.");
        return table;
    }

    /// <summary>Hands out one CSV line's fields in order; errors name the file, line and column.</summary>
    private ref struct SliceFields(string line, string displayName, int lineNumber)
    {
        private ReadOnlySpan<char> _rest = line;
        private bool _ended;

        public ReadOnlySpan<char> Next(string column)
        {
            if (_ended) throw new InvalidDataException($"{displayName}, line {lineNumber}: the line ends before column '{column}'.");
            var comma = _rest.IndexOf(',');
            ReadOnlySpan<char> field;
            if (comma < 0)
            {
                field = _rest;
                _rest = [];
                _ended = true;
            }
            else
            {
                field = _rest[..comma];
                _rest = _rest[(comma + 1)..];
            }
            return field;
        }

        public UInt128 Hash()
        {
            var text = Next("hash");
            if (text.Length != 32 || !UInt128.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash))
                throw Invalid("hash", $"'{text.ToString()}' is not 32 hex digits");
            return hash;
        }

        public int Int(string column)
        {
            var text = Next(column);
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw Invalid(column, $"'{text.ToString()}' is not an integer");
        }

        public double Double(string column)
        {
            var text = Next(column);
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
                ? value
                : throw Invalid(column, $"'{text.ToString()}' is not a number");
        }

        public readonly void EnsureEnd()
        {
            if (!_ended) throw new InvalidDataException($"{displayName}, line {lineNumber}: more fields than the header's 10.");
        }

        public readonly InvalidDataException Invalid(string column, string problem) =>
            new($"{displayName}, line {lineNumber}, column '{column}': {problem}.");
    }
}
