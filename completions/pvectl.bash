_pvectl_completion() {
    local IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   COMP_LINE="$COMP_LINE" \
                   COMP_POINT=$COMP_POINT \
                   _PVECTL_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _pvectl_completion pvectl
