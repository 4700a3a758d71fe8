# SPDX-License-Identifier: GPL-2.0
"""scripts/apply-patches.sh: applies patches/*.patch in order, strictly, and an empty set
leaves the tree untouched."""

import os
import subprocess
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPLY = os.path.join(REPO, "scripts", "apply-patches.sh")

PATCH_1 = """\
--- a/mm/vmscan.c
+++ b/mm/vmscan.c
@@ -1,3 +1,4 @@
 line one
+hooked
 line two
 line three
"""
PATCH_2 = """\
--- a/mm/vmscan.c
+++ b/mm/vmscan.c
@@ -2,3 +2,3 @@
 hooked
-line two
+line 2
 line three
"""


class ApplyPatches(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tree = os.path.join(self.dir.name, "tree")
        self.patches = os.path.join(self.dir.name, "patches")
        os.makedirs(os.path.join(self.tree, "mm"))
        os.makedirs(self.patches)
        self.write(os.path.join(self.tree, "mm", "vmscan.c"), "line one\nline two\nline three\n")

    def tearDown(self):
        self.dir.cleanup()

    @staticmethod
    def write(path, text):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def apply(self):
        return subprocess.run([APPLY, self.tree, self.patches], capture_output=True, text=True)

    def source(self):
        with open(os.path.join(self.tree, "mm", "vmscan.c"), encoding="utf-8") as f:
            return f.read()

    def test_empty_set_changes_nothing(self):
        p = self.apply()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("applied 0 patch(es)", p.stdout)
        self.assertEqual(self.source(), "line one\nline two\nline three\n")

    def test_patches_apply_in_name_order(self):
        # 0002 depends on 0001: applied the other way round it would not apply.
        self.write(os.path.join(self.patches, "0002-second.patch"), PATCH_2)
        self.write(os.path.join(self.patches, "0001-first.patch"), PATCH_1)
        p = self.apply()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("applied 2 patch(es)", p.stdout)
        self.assertEqual(self.source(), "line one\nhooked\nline 2\nline three\n")

    def test_patch_that_does_not_apply_fails_by_name(self):
        self.write(os.path.join(self.patches, "0001-broken.patch"), PATCH_2)
        p = self.apply()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("0001-broken.patch does not apply", p.stderr)

    def test_already_applied_patch_fails(self):
        self.write(os.path.join(self.patches, "0001-first.patch"), PATCH_1)
        self.assertEqual(self.apply().returncode, 0)
        self.assertNotEqual(self.apply().returncode, 0)


if __name__ == "__main__":
    unittest.main()
