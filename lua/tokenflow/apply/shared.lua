--- The operation tables `figma.map` keeps and puts into many plans (the
-- conversions it reuses per resolved set). They are never changed once made,
-- so `figma.diff` may remember whether two of them are equal. A weak-keyed
-- set: an operation leaves it with its last plan.
-- @module tokenflow.apply.shared
return setmetatable({}, { __mode = "k" })
