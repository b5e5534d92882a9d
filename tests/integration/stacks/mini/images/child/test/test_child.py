"""Tests of child (they hold for the images built FROM it too)."""


def test_child_message_is_the_contexts(image_files, context_file):
    assert image_files["child.txt"] == context_file("child", "motd.txt")
