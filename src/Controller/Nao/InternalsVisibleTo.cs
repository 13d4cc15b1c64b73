using System.Runtime.CompilerServices;

// The EPD tests check internals that the public API cannot show (the teacher-forced forward, the LSTM workaround).
[assembly: InternalsVisibleTo("SemiNas.Controller.Tests")]
