using System.Globalization;

namespace SemiNas.Plugins.NasBench;

/// <summary>
/// Parses the embedded benchmark CSV. The file never quotes (no field contains a comma), so a plain split is
/// exact; fields are read in order straight from each line's span, so no string is made per number.
/// </summary>
internal static class NasBench201CsvReader
{
    // The file ships with the code, so its layout is fixed: the header must be exactly this, which lets each
    // line be read field by field in this order instead of looking columns up by name 450,000 times.
    private static readonly string[] Columns =
    [
        "index", "arch_str", "ops", "iso_rep",
        "c10v_train", "c10v_valid", "c10v_test", "c100_train", "c100_valid", "c100_test",
        "in16_train", "in16_valid", "in16_test", "c10_test", "nats_c10_test", "nats_c100_test", "nats_in16_test",
        "e12_c10v_valid", "e12_c10_test", "e12_c100_valid", "e12_c100_test", "e12_in16_valid", "e12_in16_test",
        "params_M_c10", "flops_M_c10", "params_M_c100", "flops_M_c100", "params_M_in16", "flops_M_in16",
    ];

    public static NasBench201Row[] Read(TextReader reader)
    {
        var header = reader.ReadLine() ?? throw new InvalidDataException("The NAS-Bench-201 table is empty.");
        if (header != string.Join(',', Columns))
            throw new InvalidDataException($"The NAS-Bench-201 table's header is '{header}'; expected '{string.Join(',', Columns)}'.");

        var rows = new List<NasBench201Row>(NasBench201Table.ArchitectureCount);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            var lineNumber = rows.Count + 2;
            var field = new FieldCursor(line, lineNumber);
            // Object initialisers run in written order, which here is the column order above.
            var row = new NasBench201Row
            {
                Index = field.Int(),
                ArchStr = field.Text(),
                Ops = field.OpDigits(),
                IsoRep = field.Int(),
                C10vTrain = field.Double(),
                C10vValid = field.Double(),
                C10vTest = field.Double(),
                C100Train = field.Double(),
                C100Valid = field.Double(),
                C100Test = field.Double(),
                In16Train = field.Double(),
                In16Valid = field.Double(),
                In16Test = field.Double(),
                C10Test = field.Double(),
                NatsC10Test = field.Double(),
                NatsC100Test = field.Double(),
                NatsIn16Test = field.Double(),
                E12C10vValid = field.Double(),
                E12C10Test = field.Double(),
                E12C100Valid = field.Double(),
                E12C100Test = field.Double(),
                E12In16Valid = field.Double(),
                E12In16Test = field.Double(),
                ParamsMC10 = field.Double(),
                FlopsMC10 = field.Double(),
                ParamsMC100 = field.Double(),
                FlopsMC100 = field.Double(),
                ParamsMIn16 = field.Double(),
                FlopsMIn16 = field.Double(),
            };
            field.EnsureEnd();
            // Rows are addressed by position, so the file must list indices 0, 1, 2, ... in order.
            if (row.Index != rows.Count)
                throw new InvalidDataException($"Line {lineNumber} has index {row.Index}; expected {rows.Count}.");
            rows.Add(row);
        }
        return rows.ToArray();
    }

    /// <summary>Hands out one line's fields in order, naming the column in any error.</summary>
    private ref struct FieldCursor(string line, int lineNumber)
    {
        private ReadOnlySpan<char> _rest = line;
        private int _column = -1;
        private ReadOnlySpan<char> _current;

        public string Text() => Next().ToString();

        public int Int() =>
            int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid();

        public double Double() =>
            double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid();

        public int[] OpDigits()
        {
            var digits = Next();
            if (digits.Length != NasBench201Cell.EdgeCount) throw Invalid();
            var ops = new int[NasBench201Cell.EdgeCount];
            for (var edge = 0; edge < ops.Length; edge++)
            {
                ops[edge] = digits[edge] - '0';
                if ((uint)ops[edge] >= NasBench201Cell.OperationCount) throw Invalid();
            }
            return ops;
        }

        public readonly void EnsureEnd()
        {
            if (!_rest.IsEmpty) throw new InvalidDataException($"Line {lineNumber} has more than {Columns.Length} fields.");
        }

        private ReadOnlySpan<char> Next()
        {
            _column++;
            var comma = _rest.IndexOf(',');
            var isLast = _column == Columns.Length - 1;
            if (comma < 0 && !isLast)
                throw new InvalidDataException($"Line {lineNumber} ends before column '{Columns[_column + 1]}'.");
            // The last column takes the rest of the line; anything after a further comma is left for EnsureEnd.
            _current = comma < 0 ? _rest : _rest[..comma];
            _rest = comma < 0 ? [] : _rest[(comma + 1)..];
            return _current;
        }

        private readonly InvalidDataException Invalid() =>
            new($"Line {lineNumber}: '{_current.ToString()}' is not a valid {Columns[_column]}.");
    }
}
