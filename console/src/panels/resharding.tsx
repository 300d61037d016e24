/**
 * The shard map's resharding facts, from AdminService.GetResharding: the
 * database's latest resharding (state, phase, documents copied of the
 * total as a bar, shard counts and routing versions, cutover time,
 * errors) and the split advice. Asked separately from the shard table
 * because GetResharding can take seconds while a resharding runs (its
 * advice reads every shard), and the table should not wait for it.
 */
import { Resharding_Phase, Resharding_State, type Resharding, type ShardCountAdvice } from "../../../gen/impossibledb/v1/admin_service_pb.js";
import { formatTime } from "../format.js";

/** The resharding facts, or a line saying none has run; nothing until the first answer. */
export function ReshardingFacts({ resharding, advice }: { resharding: Resharding | undefined; advice: ShardCountAdvice | undefined }) {
  return (
    <div class="resharding" data-resharding-state={resharding === undefined ? "NONE" : Resharding_State[resharding.state]}>
      <h3>Resharding</h3>
      {resharding === undefined ? <p class="muted">No resharding has run on this database.</p> : <Operation op={resharding} />}
      {advice === undefined ? null : (
        <p data-advice={advice.suggestedShardCount}>
          Advice:{" "}
          {advice.suggestedShardCount === advice.currentShardCount
            ? `keep ${advice.currentShardCount} shards`
            : `reshard from ${advice.currentShardCount} to ${advice.suggestedShardCount} shards`}
          {advice.reason === "" ? "" : ` (${advice.reason})`}
        </p>
      )}
    </div>
  );
}

function Operation({ op }: { op: Resharding }) {
  const copied = Number(op.documentsCopied);
  const scanned = Number(op.documentsScanned);
  const total = Number(op.documentsTotal);
  return (
    <dl class="facts">
      <dt>operation</dt>
      <dd>{op.id}</dd>
      <dt>state</dt>
      <dd data-resharding-phase={Resharding_Phase[op.phase]}>
        {Resharding_State[op.state]}, phase {Resharding_Phase[op.phase]}
      </dd>
      <dt>shards</dt>
      <dd>
        {op.sourceShardCount} → {op.targetShardCount} (routing version {String(op.sourceRoutingVersion)} → {String(op.targetRoutingVersion)})
      </dd>
      <dt>copy progress</dt>
      <dd>
        {/* The total counts every document on the sources, moving or not: the copy looks at each once. */}
        <progress max={Math.max(total, 1)} value={Math.min(scanned, Math.max(total, 1))} aria-label="copy progress" /> {scanned} of {total} source documents looked at, {copied} moved
      </dd>
      <dt>started</dt>
      <dd>{formatTime(op.startTime)}</dd>
      {op.endTime === undefined ? null : (
        <>
          <dt>ended</dt>
          <dd>{formatTime(op.endTime)}</dd>
        </>
      )}
      {op.state === Resharding_State.SUCCEEDED ? (
        <>
          <dt>cutover</dt>
          <dd>{String(op.cutoverMillis)} ms</dd>
        </>
      ) : null}
      {op.errors.length === 0 ? null : (
        <>
          <dt>errors</dt>
          <dd>
            <ul>
              {op.errors.map((e, i) => (
                <li key={i}>{e}</li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}
