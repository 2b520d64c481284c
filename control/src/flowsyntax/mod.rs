//! ovs-ofctl compatible flow syntax (in progress).
