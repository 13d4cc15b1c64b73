using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Storage;

namespace SemiNas.Host.Reporting;

/// <summary>Counts and the best trial of an experiment, as `status` and the progress display show them.</summary>
public sealed record TrialSummary(int Waiting, int Running, int Complete, int Failed, int Infeasible, TrialRecord? Best)
{
    public int Finished => Complete + Failed;

    public static TrialSummary Of(IEnumerable<TrialRecord> trials, Objective objective)
    {
        int waiting = 0, running = 0, complete = 0, failed = 0, infeasible = 0;
        TrialRecord? best = null;
        foreach (var trial in trials)
        {
            switch (trial.State)
            {
                case TrialState.Waiting: waiting++; break;
                case TrialState.Running: running++; break;
                case TrialState.Failed: failed++; break;
                case TrialState.Complete:
                    complete++;
                    if (!trial.Feasible) infeasible++;
                    else if (best is null || objective.IsBetter(trial.Objective!.Value, best.Objective!.Value)) best = trial;
                    break;
            }
        }
        return new TrialSummary(waiting, running, complete, failed, infeasible, best);
    }
}
