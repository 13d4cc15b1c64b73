using System.Runtime.CompilerServices;

// The tests check the encoding and hash helpers directly.
[assembly: InternalsVisibleTo("SemiNas.NasBench.Tests")]
