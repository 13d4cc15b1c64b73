using SemiNas.Contracts;
using SemiNas.Tts.Commands;

namespace SemiNas.Tts;

/// <summary>
/// The "tts" task: SemiNAS's Transformer-TTS search on an LJSpeech-format corpus, with the command
/// <c>seminas tts make-corpus|evaluate</c>.
/// </summary>
public sealed class TtsPlugin : TaskPlugin<TtsOptions>, IPluginCommands
{
    public override string Name => "tts";

    public override string Description =>
        "Text to speech (SemiNAS §4.2): an autoregressive Transformer-TTS whose 6 encoder and 6 decoder layers each " +
        "choose one of 11 operations (convolutions, self-attention, LSTM), on an LJSpeech-format corpus. Candidates " +
        "are scored by the diagonal focus rate of their attention (supernet or standalone training); the final model " +
        "by an intelligibility rate measured with pocketsphinx. `seminas tts make-corpus` writes a corpus with flite.";

    public IReadOnlyList<PluginCommand> Commands { get; } = [TtsCommands.Command];

    protected override ISearchTask CreateTask(TtsOptions options, TaskCreationContext context) => new TtsTask(options, context);
}
