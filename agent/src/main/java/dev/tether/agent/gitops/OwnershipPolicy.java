package dev.tether.agent.gitops;

import dev.tether.common.config.ManifestProject.InventoryPolicy;
import java.util.Map;
import java.util.Optional;

/**
 * Whether an inventory may apply or delete a live object, by its owning-inventory annotation,
 * exactly as cli-utils decides it (its CanApply and CanPrune): must_match touches only what it
 * owns (and what does not exist); adopt_if_no_inventory also takes objects no inventory owns;
 * adopt_all takes everything.
 */
final class OwnershipPolicy {
  private OwnershipPolicy() {}

  /** Why the object may not be applied, or empty if it may. */
  static Optional<String> applyRefusal(String inventoryId, Map<String, Object> live, InventoryPolicy policy) {
    if (live == null) {
      return Optional.empty();
    }
    Optional<String> owner = Inventory.ownerOf(live);
    if (owner.isEmpty()) {
      return policy == InventoryPolicy.MUST_MATCH
          ? Optional.of("the object exists and belongs to no inventory; inventory_policy must_match does not take it over "
              + "(use adopt_if_no_inventory to adopt it)")
          : Optional.empty();
    }
    if (owner.get().equals(inventoryId) || policy == InventoryPolicy.ADOPT_ALL) {
      return Optional.empty();
    }
    return Optional.of("the object belongs to inventory '" + owner.get() + "' (annotation " + Inventory.OWNER_ANNOTATION
        + "); inventory_policy " + policy.name().toLowerCase(java.util.Locale.ROOT) + " leaves it alone (adopt_all would take it)");
  }

  /** Why the object may not be deleted, or empty if it may. */
  static Optional<String> pruneRefusal(String inventoryId, Map<String, Object> live, InventoryPolicy policy) {
    Optional<String> owner = Inventory.ownerOf(live);
    if (owner.isEmpty()) {
      return policy == InventoryPolicy.MUST_MATCH
          ? Optional.of("not deleted: the object belongs to no inventory and inventory_policy is must_match")
          : Optional.empty();
    }
    if (owner.get().equals(inventoryId) || policy == InventoryPolicy.ADOPT_ALL) {
      return Optional.empty();
    }
    return Optional.of("not deleted: the object now belongs to inventory '" + owner.get() + "'");
  }
}
