using SemiNas.Contracts;
using SemiNas.Storage;

namespace SemiNas.Engine;

/// <summary>Hears what a running search does; the console progress display is one.</summary>
public interface ISearchObserver
{
    void Started(ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials, int requeued);

    void TrialProgress(TrialRecord trial, EvaluationProgress progress);

    void TrialFinished(TrialRecord trial, IReadOnlyList<TrialRecord> trials);

    void Ended(RunResult result);
}
