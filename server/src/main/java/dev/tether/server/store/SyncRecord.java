package dev.tether.server.store;

import dev.tether.proto.v1.HookPhase;
import dev.tether.proto.v1.ObjectAction;
import dev.tether.proto.v1.ObjectHealth;
import dev.tether.proto.v1.SyncPhase;
import dev.tether.proto.v1.SyncReport;
import java.util.List;
import java.util.Locale;

/**
 * A sync report as the server keeps it: its own form, stored as JSON, so that the wire message can
 * change without a migration of what is stored. Phase, action and health are typed; the API shows
 * them by {@code apiName()}, as it always has.
 *
 * @param driftPaused the agent has paused drift correction for the entry (false in records stored before it was reported)
 * @param wave while syncing a commit of several sync waves, the wave being applied; null otherwise (and from older agents)
 * @param waves how many waves that commit has; 0 with no wave
 * @param waitingFor the sources (depends_on) the entry waits for before it syncs; empty when it does not wait
 */
public record SyncRecord(String commit, Phase phase, String message, long startedUnixMillis, long finishedUnixMillis, int applied,
    int unchanged, int pruned, int failed, int driftCorrected, String inventory, boolean resent, List<ObjectRecord> objects,
    boolean driftPaused, Integer wave, int waves, List<String> waitingFor) {

  public SyncRecord {
    waitingFor = waitingFor == null ? List.of() : List.copyOf(waitingFor); // records stored before depends_on have none
  }

  public enum Phase {
    SYNCING, SYNCED, FAILED;

    public String apiName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The typed phase when the agent sent one; else the string of an agent of the previous version. */
    static Phase fromWire(SyncPhase typed, String text) {
      return switch (typed) {
        case SYNC_PHASE_SYNCING -> SYNCING;
        case SYNC_PHASE_SYNCED -> SYNCED;
        case SYNC_PHASE_FAILED -> FAILED;
        default -> switch (text) {
          case "syncing" -> SYNCING;
          case "synced" -> SYNCED;
          default -> FAILED; // nothing else was ever sent; an unknown phase is not a success
        };
      };
    }
  }

  public enum Action {
    CREATED, CONFIGURED, UNCHANGED, PRUNED, FAILED, SKIPPED, DRIFTED;

    public String apiName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Action fromWire(ObjectAction typed, String text) {
      if (typed != ObjectAction.OBJECT_ACTION_UNSPECIFIED && typed != ObjectAction.UNRECOGNIZED) {
        return valueOf(typed.name().substring("OBJECT_ACTION_".length()));
      }
      try {
        return valueOf(text.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException unknown) {
        return FAILED;
      }
    }
  }

  /** kstatus' statuses; NONE where no health is known. */
  public enum Health {
    CURRENT("Current"), IN_PROGRESS("InProgress"), FAILED("Failed"), UNKNOWN("Unknown"), NOT_FOUND("NotFound"), NONE("");

    private final String apiName;

    Health(String apiName) {
      this.apiName = apiName;
    }

    public String apiName() {
      return apiName;
    }

    static Health fromWire(ObjectHealth typed, String text) {
      if (typed != ObjectHealth.OBJECT_HEALTH_UNSPECIFIED && typed != ObjectHealth.UNRECOGNIZED) {
        return valueOf(typed.name().substring("OBJECT_HEALTH_".length()));
      }
      for (Health h : values()) {
        if (h.apiName.equals(text)) {
          return h;
        }
      }
      return UNKNOWN;
    }
  }

  /** The sync phase a hook object was applied in; NONE for a regular object. */
  public enum Hook {
    NONE(""), PRE_SYNC("PreSync"), SYNC("Sync"), POST_SYNC("PostSync"),
    /** A phase of a newer agent that this server does not know: still a hook, never a regular object. */
    OTHER("hook");

    private final String apiName;

    Hook(String apiName) {
      this.apiName = apiName;
    }

    public String apiName() {
      return apiName;
    }

    static Hook fromWire(HookPhase typed) {
      return switch (typed) {
        case HOOK_PHASE_UNSPECIFIED -> NONE;
        case HOOK_PHASE_PRE_SYNC -> PRE_SYNC;
        case HOOK_PHASE_SYNC -> SYNC;
        case HOOK_PHASE_POST_SYNC -> POST_SYNC;
        default -> OTHER;
      };
    }
  }

  /** @param hook NONE in records stored before hooks were reported */
  public record ObjectRecord(String group, String version, String kind, String namespace, String name, Action action, Health health,
      String message, String file, Hook hook) {
    public ObjectRecord {
      hook = hook == null ? Hook.NONE : hook;
    }
  }

  /** From the agent's report, typed fields first and the strings of an older agent otherwise. */
  public static SyncRecord fromWire(SyncReport r) {
    List<ObjectRecord> objects = r.getObjectsList().stream().map(o -> new ObjectRecord(o.getGroup(), o.getVersion(), o.getKind(),
        o.getNamespace(), o.getName(), Action.fromWire(o.getObjectAction(), o.getAction()),
        Health.fromWire(o.getObjectHealth(), o.getHealth()), o.getMessage(), o.getFile(), Hook.fromWire(o.getHookPhase()))).toList();
    return new SyncRecord(r.getCommit(), Phase.fromWire(r.getSyncPhase(), r.getPhase()), r.getMessage(), r.getStartedUnixMillis(),
        r.getFinishedUnixMillis(), r.getApplied(), r.getUnchanged(), r.getPruned(), r.getFailed(), r.getDriftCorrected(),
        r.getInventory(), r.getResent(), objects, r.getDriftPaused(), r.hasWave() ? r.getWave() : null, r.getWaves(),
        r.getWaitingForList());
  }

  /** Objects whose health is Failed although they were applied: not healthy, rather than not applied. */
  public List<ObjectRecord> unhealthy() {
    return objects.stream().filter(o -> o.health() == Health.FAILED && o.action() != Action.FAILED).toList();
  }
}
